"""LiteLLM daily activity export parser: the §5 CSV header, the prompt_tokens trap (uncached input
is what is left after the cache tokens), older UI exports, told apart from SpendLogs, and hostile
input."""
from decimal import Decimal

import pytest

from costdash.ingest.parsers import litellm_daily, litellm_spendlogs, parser_for
from tests.ingest.reports import csv_text, reasons, run
from tests.ingest.test_parser_litellm_spendlogs import SAMPLE, csv_bytes

HEADER = [
    "date", "entity_id", "entity_alias", "api_key", "key_alias", "user_id", "user_email", "model", "spend", "flat_cost",
    "prompt_tokens", "completion_tokens", "api_requests", "successful_requests", "failed_requests",
    "cache_read_input_tokens", "cache_creation_input_tokens",
]


def daily(**changes) -> list:
    """One export row: alice's Sonnet 4.5 day on LiteLLM >= 1.78, prompt = 120 + 96,000 + 6,400."""
    row = {
        "date": "2026-11-22", "entity_id": "alice@example.com", "entity_alias": "Alice", "api_key": "3f9a" + "0" * 60,
        "key_alias": "alice-claude-code", "user_id": "alice@example.com", "user_email": "alice@example.com",
        "model": "claude-sonnet-4-5", "spend": "0.07866", "flat_cost": "0", "prompt_tokens": "102520",
        "completion_tokens": "1700", "api_requests": "2", "successful_requests": "2", "failed_requests": "0",
        "cache_read_input_tokens": "96000", "cache_creation_input_tokens": "6400",
    }
    row.update(changes)
    return [row[c] for c in HEADER]


def test_a_row_is_one_utc_day_with_the_cache_tokens_taken_out_of_prompt_tokens():
    data = csv_text(HEADER, [daily()])
    assert parser_for(data.encode(), "daily.csv") is litellm_daily
    [agg], rejected, stats = run(litellm_daily, data, "daily.csv")
    assert not rejected and (stats.lines, stats.usage_lines) == (1, 1)
    assert (agg.start.isoformat(), agg.width, agg.raw_model) == ("2026-11-22T00:00:00+00:00", "1d", "claude-sonnet-4-5")
    # 102,520 − 96,000 reads − 6,400 writes = 120 uncached.
    assert (agg.input_tokens, agg.cache_read_tokens, agg.cache_write_5m_tokens, agg.cache_write_1h_tokens,
            agg.output_tokens) == (120, 96_000, 6_400, 0, 1_700)
    assert not agg.cache_split_known
    assert (agg.identity, agg.email, agg.api_key, agg.requests) == ("alice@example.com", "alice@example.com",
                                                                    "alice-claude-code", 2)
    assert agg.reported_cost == Decimal("0.07866")  # = our price: 120×3 + 96,000×0.3 + 6,400×3.75 + 1,700×15
    assert agg.key == f"litellm_daily:2026-11-22|alice@example.com|alice@example.com|3f9a{'0' * 60}|claude-sonnet-4-5"


def test_an_older_proxy_row_whose_prompt_tokens_left_the_writes_out_is_read_the_177_way():
    # <= 1.77: prompt = input + reads = 120 + 96,000; minus the writes too would be negative.
    [agg], _, _ = run(litellm_daily, csv_text(HEADER, [daily(prompt_tokens="96120")]), "daily.csv")
    assert (agg.input_tokens, agg.cache_write_5m_tokens) == (120, 6_400)


def test_a_row_whose_prompt_tokens_are_below_its_cache_reads_is_rejected():
    records, rejected, _ = run(litellm_daily, csv_text(HEADER, [daily(prompt_tokens="5000"), daily(model="m2")]))
    assert [r.raw_model for r in records] == ["m2"]
    assert [(r.line, r.reason) for r in rejected] == [(2, "field prompt_tokens (5000) is less than the cache reads (96000)")]


def test_identity_is_the_user_else_the_email_and_a_non_address_is_no_email():
    rows = [daily(user_id="u-123", user_email="bo@example.com"), daily(user_id="", user_email="cy@example.com"),
            daily(user_id="ci-bot", user_email="n/a"), daily(user_id="", user_email="")]
    records, _, _ = run(litellm_daily, csv_text(HEADER, rows))
    assert [(r.identity, r.email) for r in records] == [
        ("u-123", "bo@example.com"), ("cy@example.com", "cy@example.com"), ("ci-bot", ""), ("", "")]


def test_rows_without_tokens_are_skipped_unless_they_cost_money():
    empty = dict(prompt_tokens="0", completion_tokens="0", cache_read_input_tokens="0", cache_creation_input_tokens="")
    records, rejected, stats = run(litellm_daily, csv_text(HEADER, [daily(**empty, spend="0"), daily(**empty, spend="0.5")]))
    assert not records and (stats.lines, stats.usage_lines) == (2, 0)
    assert reasons(rejected) == ["field spend is 0.5 but the row has no tokens: not a token-priced call"]


def test_spendlogs_and_daily_exports_go_to_their_own_parsers():
    assert parser_for(csv_bytes([SAMPLE])[:8192], "export.csv") is litellm_spendlogs
    assert not litellm_daily.detect(csv_bytes([SAMPLE]), "export.csv")
    assert not litellm_spendlogs.detect(csv_text(HEADER, [daily()]).encode(), "daily.csv")


def test_an_older_ui_export_is_read_when_it_has_a_model_and_the_cache_columns():
    header = ["Date", "User ID", "Model", "Spend ($)", "Requests", "Prompt Tokens", "Completion Tokens",
              "Cache Read Input Tokens", "Cache Creation Input Tokens"]
    data = csv_text(header, [["2026-11-22", "alice@example.com", "claude-sonnet-4-5", "0.07866", "2", "102520", "1700",
                              "96000", "6400"]])
    assert parser_for(data.encode(), "ui.csv") is litellm_daily
    [agg], rejected, _ = run(litellm_daily, data, "ui.csv")
    assert not rejected and (agg.input_tokens, agg.requests, agg.identity) == (120, 2, "alice@example.com")


def test_an_older_ui_export_without_cache_columns_is_refused_with_the_reason():
    header = ["Date", "User", "User ID", "Model", "Spend ($)", "Requests", "Successful Requests", "Failed Requests",
              "Total Tokens", "Prompt Tokens", "Completion Tokens"]
    data = csv_text(header, [["2026-11-22", "Alice", "alice", "claude-sonnet-4-5", "1", "2", "2", "0", "9", "5", "4"]])
    records, rejected, _ = run(litellm_daily, data, "ui.csv")
    assert not records and reasons(rejected) == [
        "CSV header lacks column(s): cache_read_input_tokens, cache_creation_input_tokens: prompt_tokens hides the "
        "cache tokens, so the input cannot be priced (export from a LiteLLM whose daily export has them)"]


@pytest.mark.parametrize("changes, reason", [
    ({"date": "22/11/2026"}, "field date is not a date: '22/11/2026'"),
    ({"date": "1999-12-31"},
     "field start is out of range: 1999-12-31T00:00:00+00:00 (from 2023-01-01 to a day ahead of now)"),
    ({"model": ""}, "field model is missing"),
    ({"completion_tokens": ""}, "field completion_tokens is missing"),
    ({"completion_tokens": "1.5"}, "field completion_tokens is not a whole number: '1.5'"),
    ({"cache_read_input_tokens": "-1"}, "field cache_read_input_tokens is out of range: -1"),
    ({"prompt_tokens": "2000000000000"}, "field prompt_tokens is out of range: 2000000000000"),
    ({"spend": "inf"}, "field spend is out of range: inf"),
    ({"api_requests": "3000000000"}, "field api_requests is out of range: 3000000000"),
])
def test_a_bad_row_is_rejected_by_name_and_the_good_ones_land(changes, reason):
    records, rejected, _ = run(litellm_daily, csv_text(HEADER, [daily(), daily(**changes), daily(model="m3")]))
    assert [r.raw_model for r in records] == ["claude-sonnet-4-5", "m3"]
    assert [(r.line, r.reason) for r in rejected] == [(3, reason)]


def test_hostile_files_are_refused_with_a_reason():
    _, rejected, _ = run(litellm_daily, b"")
    assert reasons(rejected) == ["file is empty"]
    records, rejected, _ = run(litellm_daily, ",".join(HEADER).encode() + b"\n2026-11-22,\xfe\xff\n")
    assert not records and reasons(rejected) == ["file is not valid UTF-8 text; reading stopped"]
    records, rejected, _ = run(litellm_daily, csv_text(HEADER, [daily() + ["extra"]]))
    assert reasons(rejected) == ["row has 18 fields, the header 17: its columns would be misread"]
