"""Anthropic cost report parser: cents strings to exact USD, currency and bucket checks, the
Console cost CSV in dollars with display-name models, and hostile input."""
from datetime import date
from decimal import Decimal
import json

import pytest

from costdash.ingest.parsers import HEAD_BYTES, anthropic_cost, anthropic_usage, parser_for
from tests.ingest.reports import ADMIN_API, bucket, csv_text, page, reasons, run

DAY = ("2026-05-04T00:00:00Z", "2026-05-05T00:00:00Z")
CSV_HEADER = ["usage_date_utc", "model", "workspace", "api_key", "usage_type", "context_window", "token_type",
              "cost_usd"]


def line(**changes) -> dict:
    base = {
        "amount": "123.45", "currency": "USD", "cost_type": "tokens", "description": "Claude Sonnet 5 Usage - Output Tokens",
        "model": "claude-sonnet-5", "token_type": "output_tokens", "service_tier": "standard",
        "context_window": "0-200k", "inference_geo": "global", "workspace_id": "wrkspc_01CC",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def one_page(*results: dict, span=DAY) -> str:
    return json.dumps(page(bucket(*span, *results)))


def test_the_docs_example_is_cents_divided_exactly():
    path = ADMIN_API / "cost_report.docs_example.json"
    assert parser_for(path.read_bytes()[:HEAD_BYTES], str(path)) is anthropic_cost
    [billed], rejected, stats = run(anthropic_cost, path.read_bytes())
    assert not rejected and stats.usage_lines == 1
    assert billed.amount == Decimal("1.2378912")  # "123.78912" cents
    assert (billed.day, billed.workspace, billed.raw_model, billed.token_type, billed.cost_type) == (
        date(2025, 8, 1), "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ", "claude-opus-5", "uncached_input_tokens", "tokens")
    assert (billed.description, billed.service_tier, billed.context_window, billed.inference_geo) == (
        "Claude Opus 5 Usage - Input Tokens", "standard", "0-200k", "global")
    assert billed.key == ("anthropic_cost:2025-08-01|wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ|Claude Opus 5 Usage - Input Tokens"
                          "|claude-opus-5|uncached_input_tokens|standard|0-200k|global|tokens")


@pytest.mark.parametrize("cents, usd", [
    ("123.45", "1.2345"), ("0", "0"), ("7", "0.07"), ("0.000001", "0.00000001"), ("250000000", "2500000"),
])
def test_a_cents_string_becomes_exact_dollars(cents, usd):
    [billed], _, _ = run(anthropic_cost, one_page(line(amount=cents)))
    assert billed.amount == Decimal(usd)


def test_lines_without_a_model_or_grouping_are_kept_with_empty_dimensions():
    web = line(model=None, token_type=None, cost_type="web_search", description="Web Search Usage", amount="20")
    org = {"amount": "5000", "currency": "USD"}  # not grouped at all
    records, rejected, _ = run(anthropic_cost, one_page(web, org))
    assert not rejected
    assert [(r.raw_model, r.cost_type, r.amount) for r in records] == [("", "web_search", Decimal("0.2")),
                                                                       ("", "", Decimal(50))]
    assert len({r.key for r in records}) == 2


@pytest.mark.parametrize("changes, reason", [
    ({"currency": "EUR"}, "field currency is 'EUR': only USD amounts are read"),
    ({"amount": None}, "field amount is missing"),
    ({"amount": "NaN"}, "field amount is out of range: NaN"),
    ({"amount": "-12"}, "field amount is out of range: -12"),
    ({"amount": "1e30"}, "field amount is out of range: 1e30"),
    ({"amount": "twelve"}, "field amount is not a number: 'twelve'"),
    ({"amount": True}, "field amount is not a number: 'True'"),
    ({"description": ["x"]}, "field description is not a string"),
])
def test_a_bad_line_is_rejected_by_name_and_the_good_one_lands(changes, reason):
    records, rejected, _ = run(anthropic_cost, one_page(line(), line(**changes)))
    assert len(records) == 1 and reasons(rejected) == [f"data[0].results[1]: {reason}"]


def test_an_hourly_bucket_is_not_a_cost_report_day():
    records, rejected, _ = run(anthropic_cost, one_page(line(), span=("2026-05-04T10:00:00Z", "2026-05-04T11:00:00Z")))
    assert not records and reasons(rejected) == ["data[0].results[0]: bucket is 1h long: cost_report buckets are days"]


def test_usage_and_cost_pages_are_told_apart():
    usage_page = json.dumps(page(bucket(*DAY, {"uncached_input_tokens": 1, "output_tokens": 2, "model": "m"})))
    cost_page = one_page(line())
    assert parser_for(cost_page.encode(), "c.json") is anthropic_cost
    assert parser_for(usage_page.encode(), "u.json") is anthropic_usage
    assert not anthropic_cost.detect(usage_page.encode(), "u.json")


# --- Console cost CSV -------------------------------------------------------------------------------


@pytest.mark.parametrize("display, model_id", [
    ("Claude Sonnet 4.5", "claude-sonnet-4-5"), ("Claude Opus 4.1", "claude-opus-4-1"), ("Claude Sonnet 5", "claude-sonnet-5"),
    ("Claude Haiku 3.5", "claude-3-5-haiku"), ("Claude 3.7 Sonnet", "claude-3-7-sonnet"), ("Claude Opus 4", "claude-opus-4"),
    ("claude-sonnet-4-6", "claude-sonnet-4-6"), ("Some Future Thing", "Some Future Thing"),
])
def test_console_display_names_become_model_ids_where_they_have_the_usual_shape(display, model_id):
    assert anthropic_cost.model_id(display) == model_id


def test_the_console_cost_csv_is_dollars_with_api_token_types():
    rows = [
        ["2026-05-04", "Claude Sonnet 4.5", "Claude Code", "ana-key", "standard", "≤ 200k", "input_cache_write_1h", "1.25"],
        ["2026-05-04", "Claude Sonnet 4.5", "Claude Code", "bo-key", "standard", "≤ 200k", "input_cache_write_1h", "0.5"],
        ["2026-05-04", "", "Claude Code", "ana-key", "standard", "", "web_search", "0.03"],
    ]
    data = csv_text(CSV_HEADER + ["note"], [r + [""] for r in rows])
    assert parser_for(data.encode(), "cost.csv") is anthropic_cost
    records, rejected, _ = run(anthropic_cost, data, "cost.csv")
    assert not rejected
    assert [(r.day, r.raw_model, r.token_type, r.cost_type, r.amount) for r in records] == [
        (date(2026, 5, 4), "claude-sonnet-4-5", "cache_creation.ephemeral_1h_input_tokens", "tokens", Decimal("1.25")),
        (date(2026, 5, 4), "claude-sonnet-4-5", "cache_creation.ephemeral_1h_input_tokens", "tokens", Decimal("0.5")),
        (date(2026, 5, 4), "", "", "web_search", Decimal("0.03")),
    ]
    assert len({r.key for r in records}) == 3  # the two keys' lines stay apart


def test_a_console_cost_csv_with_bad_rows_keeps_the_good_ones():
    rows = [
        ["2026-05-04", "Claude Sonnet 4.5", "W", "k", "standard", "", "output", "abc"],
        ["2026-05-04", "Claude Sonnet 4.5", "W", "k", "standard", "", "output", ""],
        ["2026-13-04", "Claude Sonnet 4.5", "W", "k", "standard", "", "output", "1"],
        ["2026-05-04", "Claude Sonnet 4.5", "W", "k", "standard", "", "output", "2.50"],
    ]
    records, rejected, _ = run(anthropic_cost, csv_text(CSV_HEADER, rows), "cost.csv")
    assert [r.amount for r in records] == [Decimal("2.50")]
    assert [(r.line, r.reason) for r in rejected] == [
        (2, "field cost_usd is not a number: 'abc'"),
        (3, "field cost_usd is missing"),
        (4, "field usage_date_utc is not a date: '2026-13-04'"),
    ]
    _, rejected, _ = run(anthropic_cost, csv_text(CSV_HEADER[:-2] + ["cost_usd"], []), "cost.csv")
    assert reasons(rejected) == ["CSV header lacks column(s): token_type"]
