"""Anthropic usage report parser: the docs' usage_report/messages pages, bucket widths, paging
files, the Console usage CSV (both cache-write variants), natural keys, and hostile input."""
import json
import math

import pytest

from costdash.ingest.parsers import HEAD_BYTES, anthropic_usage, parser_for
from costdash.ingest.parsers.report_common import MAX_KEY, natural_key
from tests.ingest.reports import ADMIN_API, bucket, csv_text, page, reasons, run, sample

DAY = ("2026-05-04T00:00:00Z", "2026-05-05T00:00:00Z")
CSV_HEADER = [
    "usage_date_utc", "model_version", "api_key", "workspace", "usage_type", "context_window",
    "usage_input_tokens_no_cache", "usage_input_tokens_cache_write_5m", "usage_input_tokens_cache_write_1h",
    "usage_input_tokens_cache_read", "usage_output_tokens", "web_search_count", "inference_geo", "speed",
]


def result(**changes) -> dict:
    """A usage result grouped by account and model, with changes (None deletes a field)."""
    base = {
        "account_id": "user_01Ana", "api_key_id": "apikey_01Ana", "workspace_id": "wrkspc_01CC", "model": "claude-opus-5",
        "service_tier": "standard", "context_window": "0-200k", "inference_geo": "global",
        "uncached_input_tokens": 10, "cache_read_input_tokens": 2000, "output_tokens": 300,
        "cache_creation": {"ephemeral_5m_input_tokens": 40, "ephemeral_1h_input_tokens": 500},
        "server_tool_use": {"web_search_requests": 0},
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def one_page(*results: dict, span=DAY) -> str:
    return json.dumps(page(bucket(*span, *results)))


def test_the_docs_example_reads_every_token_class_and_keeps_the_account_id_raw():
    records, rejected, stats = run(anthropic_usage, (ADMIN_API / "usage_report_messages.docs_example.json").read_bytes())
    assert not rejected and (stats.lines, stats.usage_lines) == (1, 1)
    [agg] = records
    assert (agg.start.isoformat(), agg.width, agg.raw_model) == ("2025-08-01T00:00:00+00:00", "1d", "claude-opus-5")
    assert (agg.input_tokens, agg.cache_write_5m_tokens, agg.cache_write_1h_tokens, agg.cache_read_tokens,
            agg.output_tokens, agg.web_search_requests) == (1500, 500, 1000, 200, 500, 10)
    assert agg.identity == "user_01WCz1FkmYMm4gnmykNKUu3Q" and agg.email == ""  # as OTel's user.account_id
    assert (agg.workspace, agg.api_key) == ("wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ", "apikey_01Rj2N8SVvo6BePZj99NhmiT")
    assert (agg.service_tier, agg.context_window, agg.inference_geo, agg.is_batch) == ("standard", "0-200k",
                                                                                        "global", False)
    assert agg.cache_split_known and agg.reported_cost is None
    assert agg.key.startswith("anthropic_usage:2025-08-01T00:00:00+00:00|1d|claude-opus-5|user_01WCz")


def test_the_older_example_without_an_account_is_the_api_keys():
    [agg], rejected, _ = run(anthropic_usage, (ADMIN_API / "usage_report_messages.docs_example_older.json").read_bytes())
    assert not rejected
    assert (agg.identity, agg.raw_model, agg.inference_geo) == ("apikey_01Rj2N8SVvo6BePZj99NhmiT",
                                                                "claude-sonnet-4-20250514", "")


def test_both_samples_are_detected_as_usage_reports():
    for name in ("usage_report_messages.docs_example.json", "usage_report_messages.docs_example_older.json"):
        path = ADMIN_API / name
        assert parser_for(path.read_bytes()[:HEAD_BYTES], str(path)) is anthropic_usage


@pytest.mark.parametrize("span, width", [
    (("2026-05-04T10:00:00Z", "2026-05-04T11:00:00Z"), "1h"),
    (("2026-05-04T10:07:00Z", "2026-05-04T10:08:00Z"), "1m"),
    (("2026-05-04T00:00:00+02:00", "2026-05-05T00:00:00+02:00"), "1d"),
])
def test_the_bucket_width_comes_from_its_span(span, width):
    [agg], _, _ = run(anthropic_usage, one_page(result(), span=span))
    assert agg.width == width and agg.start.utcoffset().total_seconds() == 0


def test_a_bucket_of_another_length_is_rejected_whole():
    records, rejected, _ = run(anthropic_usage, one_page(result(), result(model="claude-sonnet-5"),
                                                         span=("2026-05-04T10:00:00Z", "2026-05-04T11:30:00Z")))
    assert not records and reasons(rejected) == ["data[0]: bucket is 5400 seconds long, not a minute, an hour or a day"]


def test_pages_in_an_array_or_one_per_line_are_all_read_and_empty_buckets_give_nothing():
    first = page(bucket(*DAY, result()), bucket("2026-05-05T00:00:00Z", "2026-05-06T00:00:00Z"), has_more=True)
    second = page(bucket("2026-05-06T00:00:00Z", "2026-05-07T00:00:00Z", result(account_id="user_01Bo")))
    for data in (json.dumps([first, second]), json.dumps(first) + "\n" + json.dumps(second) + "\n"):
        records, rejected, _ = run(anthropic_usage, data)
        assert not rejected
        assert [(r.start.day, r.identity) for r in records] == [(4, "user_01Ana"), (6, "user_01Bo")]


def test_an_ndjson_page_file_named_jsonl_is_not_taken_for_a_transcript():
    data = (json.dumps(page(bucket(*DAY, result()))) + "\n").encode()
    assert parser_for(data, "usage-pages.jsonl") is anthropic_usage


def test_a_result_without_a_model_is_rejected_with_the_fix_and_the_others_land():
    records, rejected, _ = run(anthropic_usage, one_page(result(model=None), result(account_id="user_01Bo")))
    assert [r.identity for r in records] == ["user_01Bo"]
    assert rejected[0].line == 1 and rejected[0].reason == (
        "data[0].results[0]: result has no model: group the report by model (group_by[]=model) so it can be priced")


def test_who_is_the_account_else_the_service_account_else_the_key_and_batch_is_priced_as_batch():
    records, _, _ = run(anthropic_usage, one_page(
        result(account_id=None, service_account_id="svac_01Ci"),
        result(account_id=None, workspace_id=None, api_key_id=None, service_tier="batch"),
        result(account_id=None, speed="fast"),
    ))
    assert [(r.identity, r.is_batch, r.speed) for r in records] == [
        ("svac_01Ci", False, ""), ("", True, ""), ("apikey_01Ana", False, "fast")]


def test_results_differing_only_in_a_group_by_value_get_different_keys_and_a_refetch_the_same():
    records, _, _ = run(anthropic_usage, one_page(result(), result(inference_geo="us"), result(speed="fast")))
    assert len({r.key for r in records}) == 3
    again, _, _ = run(anthropic_usage, one_page(result(output_tokens=999), result(inference_geo="us"),
                                                 result(speed="fast")))
    assert [r.key for r in again] == [r.key for r in records]


def test_natural_keys_escape_the_separator_and_hash_when_long():
    assert natural_key("s", "a|b", "c") != natural_key("s", "a", "b|c")
    long = natural_key("s", "x" * 300)
    assert len(long) <= MAX_KEY and long.startswith("s:sha256:") and long == natural_key("s", "x" * 300)
    [agg], _, _ = run(anthropic_usage, one_page(result(workspace_id="w" * 200, api_key_id="k" * 200)))
    assert len(agg.key) <= MAX_KEY


@pytest.mark.parametrize("field, value, reason", [
    ("uncached_input_tokens", -1, "field uncached_input_tokens is out of range: -1"),
    ("uncached_input_tokens", 10**12 + 1, "field uncached_input_tokens is out of range: 1000000000001"),
    ("output_tokens", 1.5, "field output_tokens is not a whole number: '1.5'"),
    ("output_tokens", math.nan, "field output_tokens is not a whole number: 'nan'"),
    ("output_tokens", True, "field output_tokens is not a whole number: 'True'"),
    ("output_tokens", "300", "field output_tokens is not a whole number: '300'"),
    ("uncached_input_tokens", None, "field uncached_input_tokens is missing"),
    ("cache_creation", 5, "field cache_creation is not an object"),
    ("cache_creation", {"ephemeral_1h_input_tokens": -5}, "field cache_creation.ephemeral_1h_input_tokens is out of range: -5"),
    ("model", 7, "field model is not a string"),
    ("account_id", "u" * 201, "field account_id is too long (201 characters, at most 200)"),
])
def test_a_bad_field_rejects_its_result_by_name_and_the_good_one_lands(field, value, reason):
    bad = result(**{field: value}) if value is not None else result(**{field: None})
    records, rejected, _ = run(anthropic_usage, one_page(result(account_id="user_01Good"), bad))
    assert [r.identity for r in records] == ["user_01Good"]
    assert reasons(rejected) == [f"data[0].results[1]: {reason}"]


def test_hostile_files_are_refused_with_a_reason():
    cases = {
        b"": "file is empty",
        b'{"data": [' + b"\xff" * 10 + b"]}": "file is not valid UTF-8 text",
        b'{"data": [{"starting_at": "2026-05-04", "ending_at": "2026-05-05T00:00:00Z", "results": []}]}':
            "data[0]: field starting_at is not a time: '2026-05-04'",
        b'{"data": [{"starting_at": "2026-05-04T00:00:00", "ending_at": "2026-05-05T00:00:00Z", "results": {}}]}':
            "data[0]: field results is not a list",
        b'{"data": [{"starting_at": "1901-05-04T00:00:00Z", "ending_at": "1901-05-05T00:00:00Z", "results": ['
        b'{"model": "m", "uncached_input_tokens": 1, "output_tokens": 1}]}]}':
            "data[0].results[0]: field start is out of range: 1901-05-04T00:00:00+00:00 (from 2023-01-01 to a day "
            "ahead of now)",
        b'{"has_more": false}': 'not a report page: it has no "data" list',
        b'{"data": [7]}': "data[0]: bucket is not an object",
    }
    for data, reason in cases.items():
        records, rejected, _ = run(anthropic_usage, data)
        assert not records and reasons(rejected) == [reason], data


def test_a_surrogate_in_a_name_is_refused_not_stored():
    data = one_page(result()).replace('"user_01Ana"', '"user_\\ud800"')
    records, rejected, _ = run(anthropic_usage, data)
    assert not records and reasons(rejected) == ["data[0].results[0]: field account_id is not valid text"]


# --- Console usage CSV ------------------------------------------------------------------------------


def console_row(**changes) -> list:
    row = {
        "usage_date_utc": "2026-05-04", "model_version": "claude-sonnet-4-6", "api_key": "ana-claude-code",
        "workspace": "Claude Code", "usage_type": "standard", "context_window": "≤ 200k",
        "usage_input_tokens_no_cache": "45000", "usage_input_tokens_cache_write_5m": "0",
        "usage_input_tokens_cache_write_1h": "1000", "usage_input_tokens_cache_read": "38000",
        "usage_output_tokens": "13000", "web_search_count": "0", "inference_geo": "global", "speed": "",
    }
    row.update(changes)
    return [row[c] for c in CSV_HEADER]


def test_the_console_csv_is_one_utc_day_per_row_named_by_its_key():
    data = csv_text(CSV_HEADER, [console_row(), console_row(api_key="bo-claude-code", usage_type="batch")])
    assert parser_for(data.encode(), "usage.csv") is anthropic_usage
    records, rejected, stats = run(anthropic_usage, data, "usage.csv")
    assert not rejected and stats.lines == 2
    ana, bo = records
    assert (ana.start.isoformat(), ana.width, ana.raw_model, ana.identity, ana.workspace) == (
        "2026-05-04T00:00:00+00:00", "1d", "claude-sonnet-4-6", "ana-claude-code", "Claude Code")
    assert (ana.input_tokens, ana.cache_write_5m_tokens, ana.cache_write_1h_tokens, ana.cache_read_tokens,
            ana.output_tokens) == (45000, 0, 1000, 38000, 13000)
    assert ana.cache_split_known and ana.context_window == "≤ 200k" and not ana.is_batch
    assert bo.is_batch and bo.key != ana.key


def test_the_older_single_cache_write_column_is_5m_with_the_split_unknown_and_extra_columns_are_ignored():
    header = [c for c in CSV_HEADER if "cache_write_" not in c] + ["usage_input_tokens_cache_write", "cost_center"]
    row = console_row()
    row = [v for c, v in zip(CSV_HEADER, row, strict=True) if "cache_write_" not in c] + ["2500", "R&D"]
    [agg], rejected, _ = run(anthropic_usage, "\ufeff" + csv_text(header, [row]), "usage.csv")
    assert not rejected
    assert (agg.cache_write_5m_tokens, agg.cache_write_1h_tokens, agg.cache_split_known) == (2500, 0, False)


def test_a_console_csv_without_its_columns_or_with_bad_rows_says_so():
    header = [c for c in CSV_HEADER if c != "usage_output_tokens"]
    _, rejected, _ = run(anthropic_usage, csv_text(header, []), "usage.csv")
    assert reasons(rejected) == ["CSV header lacks column(s): usage_output_tokens"]
    rows = [console_row(usage_output_tokens="-3"), console_row(usage_date_utc="May 4"), console_row()[:5],
            console_row(model_version=""), console_row(usage_input_tokens_no_cache="1e13"), console_row()]
    records, rejected, _ = run(anthropic_usage, csv_text(CSV_HEADER, rows), "usage.csv")
    assert len(records) == 1
    assert [(r.line, r.reason) for r in rejected] == [
        (2, "field usage_output_tokens is out of range: -3"),
        (3, "field usage_date_utc is not a time: 'May 4'"),
        (4, "row has 5 fields, the header 14: its columns would be misread"),
        (5, "field model_version is missing"),
        (6, "field usage_input_tokens_no_cache is out of range: 1E+13"),
    ]


def test_a_console_csv_that_is_not_utf8_stops_with_a_reason():
    data = csv_text(CSV_HEADER, [console_row()]).encode() + b"2026-05-05,claude-\xff\n"
    records, rejected, _ = run(anthropic_usage, data, "usage.csv")
    assert reasons(rejected) == ["file is not valid UTF-8 text; reading stopped"]


def test_the_cost_report_and_analytics_samples_are_not_usage_reports():
    for name in ("cost_report.docs_example.json", "usage_report_claude_code.docs_example.json"):
        assert not anthropic_usage.detect(json.dumps(sample(name)).encode(), name)
