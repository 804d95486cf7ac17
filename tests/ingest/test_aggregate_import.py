"""Daily reports end to end: files through usage_import into UsageAggregate, ActivityRecord and
BilledCost, then the DailyCost / DailyActivity rollups. Costs are worked by hand from
shared/formats/pricing.md (USD per MTok); the samples' own figures are not list prices.
"""
from datetime import date
from decimal import Decimal
import json

import pytest

from costdash.accounts.models import Developer, Identity
from costdash.accounts.services import identity_assign
from costdash.ingest.models import ActivityRecord, BilledCost, ImportBatch, UsageAggregate, UsageEvent
from costdash.ingest.services import usage_import
from costdash.rollups.models import DailyActivity, DailyCost
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.conftest import SAMPLES
from tests.ingest.reports import ADMIN_API, bucket, csv_text, page, sample, write
from tests.ingest.test_parser_anthropic_usage import result
from tests.ingest.test_parser_claude_code_analytics import record
from tests.ingest.test_parser_litellm_daily import HEADER, daily

pytestmark = pytest.mark.django_db
DAY = ("2026-05-04T00:00:00Z", "2026-05-05T00:00:00Z")
# Opus 5 ($5 in, $6.25 5m, $10 1h, $0.50 read, $25 out): the default result() of 10 input, 40 5m
# writes, 500 1h writes, 2,000 reads and 300 output is 50 + 250 + 5,000 + 1,000 + 7,500 = 13,800 / 1e6.
RESULT_COST = Decimal("0.0138")
# pricing.md worked example A: Sonnet 4.6, 45,000 input, 13,000 output, 38,000 reads = $0.3414.
EXAMPLE_A = {"model": "claude-sonnet-4-6", "tokens": {"input": 45000, "output": 13000, "cache_read": 38000,
                                                      "cache_creation": 0},
             "estimated_cost": {"currency": "USD", "amount": 34}}


def imported(path, **expected) -> ImportBatch:
    batch = usage_import([path])
    assert batch.status == ImportBatch.Status.DONE, batch.failure
    for name, value in expected.items():
        assert getattr(batch, name) == value, (name, batch.errors)
    return batch


@pytest.fixture
def write_to(tmp_path):
    """write_to(name, content): a fixture file in this test's folder."""
    return lambda name, content: write(tmp_path / name, content)


def ana_owns(external_id: str) -> Developer:
    """Ana, with an admin's mapping of an Anthropic name (an account id) to her."""
    ana = Developer.objects.get_or_create(email="ana@example.com")[0]
    Identity.objects.create(source="anthropic", external_id=external_id, developer=ana)
    return ana


def test_the_usage_sample_lands_priced_and_counts_for_its_account_once_an_admin_maps_it():
    batch = imported(ADMIN_API / "usage_report_messages.docs_example.json", records_new=1, rejected=0)
    assert batch.source == "anthropic_usage"
    agg = UsageAggregate.objects.get()
    # Opus 5 on 2025-08-01, global: 1,500×5 + 500×6.25 + 1,000×10 + 200×0.5 + 500×25 = 33,225 / 1e6
    # = 0.033225, plus 10 web searches at $0.01 = 0.133225.
    assert (agg.model, agg.width, agg.cost, agg.developer) == ("claude-opus-5", "1d", Decimal("0.133225"), None)
    assert (agg.identity.source, agg.identity.external_id) == ("anthropic", "user_01WCz1FkmYMm4gnmykNKUu3Q")
    daily_cost_recompute_dirty()
    assert not DailyCost.objects.exists()  # nobody's yet
    ana = Developer.objects.create(email="ana@example.com")
    identity_assign(agg.identity, ana)
    daily_cost_recompute_dirty()
    row = DailyCost.objects.get()
    assert (row.developer, row.day, row.model, row.source, row.cost) == (
        ana, date(2025, 8, 1), "claude-opus-5", "anthropic_usage", Decimal("0.133225"))
    assert (row.input_tokens, row.cache_write_5m_tokens, row.cache_write_1h_tokens, row.cache_read_tokens,
            row.output_tokens, row.web_search_requests) == (1500, 500, 1000, 200, 500, 10)


def test_the_analytics_sample_is_activity_and_usage_of_a_developer_known_by_email():
    imported(ADMIN_API / "usage_report_claude_code.docs_example.json", records_new=3, rejected=0)
    dev = Developer.objects.get(email="user@emaildomain.com")  # linked (created) by the actor's email
    activity = ActivityRecord.objects.get()
    assert (activity.developer, activity.sessions, activity.edits_accepted, activity.detail["terminal_type"]) == (
        dev, 15, 50, "iTerm.app")
    by_model = {a.model: a for a in UsageAggregate.objects.all()}
    # Opus 5: 45,230×5 + 12,450×25 + 8,790×0.5 + 2,340×10 (1h writes) = 565,195 / 1e6.
    # Sonnet 5: 23,100×2 + 5,680×10 + 3,420×0.2 + 890×4 = 107,244 / 1e6.
    assert {m: (a.cost, a.reported_cost, a.cache_split_known) for m, a in by_model.items()} == {
        "claude-opus-5": (Decimal("0.565195"), Decimal("1.86"), False),
        "claude-sonnet-5": (Decimal("0.107244"), Decimal("0.42"), False),
    }
    daily_cost_recompute_dirty()
    assert sorted(DailyCost.objects.values_list("day", "model", "source", "cost")) == [
        (date(2025, 8, 8), "claude-opus-5", "claude_code_analytics", Decimal("0.565195")),
        (date(2025, 8, 8), "claude-sonnet-5", "claude_code_analytics", Decimal("0.107244")),
    ]
    day = DailyActivity.objects.get()
    assert (day.developer, day.day, day.source, day.sessions, day.lines_added, day.lines_removed, day.commits,
            day.pull_requests, day.edits_accepted, day.edits_rejected) == (
        dev, date(2025, 8, 8), "claude_code_analytics", 15, 342, 128, 8, 2, 50, 6)


def test_a_developers_terminals_and_remote_rows_add_up_to_one_day(write_to):
    rows = [record(actor={"type": "user_actor", "email_address": "ana@example.com"}, terminal_type=t, is_remote=r,
                   model_breakdown=[EXAMPLE_A]) for t, r in (("vscode", False), ("tmux", False), ("vscode", True))]
    imported(write_to("analytics.json", page(*rows)), records_new=6)
    daily_cost_recompute_dirty()
    row = DailyCost.objects.get()
    assert (row.cost, row.output_tokens) == (3 * Decimal("0.3414"), 3 * 13000)
    assert DailyActivity.objects.get().sessions == 3 * 15


def test_cost_reports_are_stored_in_dollars(write_to):
    imported(ADMIN_API / "cost_report.docs_example.json", records_new=1)
    billed = BilledCost.objects.get()
    assert (billed.day, billed.amount, billed.model, billed.source) == (
        date(2025, 8, 1), Decimal("1.2378912"), "claude-opus-5", "anthropic_cost")
    cents = page(bucket(*DAY, {"amount": "123.45", "currency": "USD", "workspace_id": "wrkspc_01CC"}))
    imported(write_to("cost.json", cents), records_new=1)
    assert BilledCost.objects.get(day=date(2026, 5, 4)).amount == Decimal("1.2345")
    console = csv_text(["usage_date_utc", "model", "workspace", "api_key", "usage_type", "context_window", "token_type",
                        "cost_usd"], [["2026-05-04", "Claude Sonnet 4.5", "Claude Code", "k", "standard", "", "output",
                                       "12.34"]])
    imported(write_to("cost.csv", console), records_new=1)
    line = BilledCost.objects.get(day=date(2026, 5, 4), raw_model="claude-sonnet-4-5")
    assert (line.amount, line.model, line.token_type) == (Decimal("12.34"), "claude-sonnet-4-5", "output_tokens")


@pytest.mark.parametrize("source, name, content, n", [
    ("anthropic_usage", "usage.json", sample("usage_report_messages.docs_example.json"), 1),
    ("anthropic_cost", "cost.json", sample("cost_report.docs_example.json"), 1),
    ("claude_code_analytics", "analytics.json", sample("usage_report_claude_code.docs_example.json"), 3),
    ("litellm_daily", "daily.csv", csv_text(HEADER, [daily(), daily(date="2026-11-21")]), 2),
])
def test_importing_the_same_report_again_changes_nothing(source, name, content, n, write_to):
    first = imported(write_to(name, content), records_new=n, records_updated=0, records_unchanged=0)
    assert first.source == source
    before = _stored()
    # Fetched again: the same records in a new file (other bytes, so not skipped as already read).
    again = json.dumps(content, indent=1) if isinstance(content, dict) else content.replace("\n", "\r\n")
    imported(write_to("again-" + name, again), records_new=0, records_updated=0, records_unchanged=n)
    assert _stored() == before


def test_a_bucket_fetched_again_with_more_usage_replaces_the_first_copy(write_to):
    ana = ana_owns("user_01Ana")
    imported(write_to("early.json", page(bucket(*DAY, result()))), records_new=1)
    late = result(uncached_input_tokens=20, output_tokens=1300, cache_read_input_tokens=4000)
    imported(write_to("late.json", page(bucket(*DAY, late))), records_new=0, records_updated=1)
    daily_cost_recompute_dirty()
    # The late copy alone: 20×5 + 40×6.25 + 500×10 + 4,000×0.5 + 1,300×25 = 39,850 / 1e6.
    row = DailyCost.objects.get(developer=ana)
    assert (row.cost, row.output_tokens, row.source) == (Decimal("0.03985"), 1300, "anthropic_usage")
    assert UsageAggregate.objects.count() == 1


def test_two_fetches_of_a_bucket_in_one_file_count_once(write_to):
    ana_owns("user_01Ana")
    lines = [json.dumps(page(bucket(*DAY, result()))), json.dumps(page(bucket(*DAY, result(output_tokens=1300))))]
    imported(write_to("run.ndjson", "\n".join(lines)), records_new=1)
    daily_cost_recompute_dirty()
    assert DailyCost.objects.get().output_tokens == 1300


def test_a_day_with_per_request_data_is_counted_from_the_requests_only(write_to):
    imported(SAMPLES / "litellm" / "litellm_spendlog_example_trimmed.json", requests_new=1)
    # The same person and day in LiteLLM's daily export, plus a day the request log does not cover.
    csv = csv_text(HEADER, [daily(), daily(date="2026-11-21")])
    imported(write_to("daily.csv", csv), records_new=2)
    daily_cost_recompute_dirty()
    alice = Developer.objects.get(email="alice@example.com")
    assert UsageAggregate.objects.filter(developer=alice).count() == 2  # stored for reconciliation
    rows = sorted(DailyCost.objects.filter(developer=alice).values_list("day", "source", "requests", "cost"))
    assert rows == [
        # 120×3 + 96,000×0.30 + 6,400×3.75 + 1,700×15 = 78,660 / 1e6 (Sonnet 4.5, 2 requests).
        (date(2026, 11, 21), "litellm_daily", 2, Decimal("0.07866")),
        # The SpendLogs row alone (its samples README): 0.039186; the daily row of that day is not added.
        (date(2026, 11, 22), "litellm_spendlogs", 1, Decimal("0.039186")),
    ]


def test_two_aggregate_sources_for_one_day_count_once_and_activity_comes_from_analytics(write_to):
    ana = ana_owns("user_01Ana")
    analytics = record(actor={"type": "user_actor", "email_address": "ana@example.com"}, date=DAY[0],
                       model_breakdown=[EXAMPLE_A])
    imported(write_to("analytics.json", page(analytics)), records_new=2)
    daily_cost_recompute_dirty()
    assert DailyCost.objects.get(developer=ana).cost == Decimal("0.3414")  # alone, analytics counts
    imported(write_to("usage.json", page(bucket(*DAY, result()))), records_new=1)
    daily_cost_recompute_dirty()
    # The usage report (exact cache classes) wins the day; the analytics estimate is not added.
    assert list(DailyCost.objects.filter(developer=ana).values_list("day", "source", "model", "cost")) == [
        (date(2026, 5, 4), "anthropic_usage", "claude-opus-5", RESULT_COST)]
    assert DailyActivity.objects.get(developer=ana).source == "claude_code_analytics"


def test_bad_results_are_reported_by_file_and_reason_and_the_rest_lands(write_to):
    content = page(bucket(*DAY, result(model=None), result(output_tokens=-5), result()))
    path = write_to("usage.json", content)
    batch = imported(path, records_new=1, rejected=2)
    assert [e["reason"] for e in batch.errors] == [
        "data[0].results[0]: result has no model: group the report by model (group_by[]=model) so it can be priced",
        "data[0].results[1]: field output_tokens is out of range: -5",
    ]
    assert {e["file"] for e in batch.errors} == {str(path)}
    assert not UsageEvent.objects.exists()


def test_an_unknown_model_is_stored_unpriced_never_free(write_to):
    batch = imported(write_to("usage.json", page(bucket(*DAY, result(model="claude-nova-9")))), records_new=1)
    assert UsageAggregate.objects.get().cost is None
    assert batch.unpriced_models == [{"model": "claude-nova-9", "requests": 1}]


# --- helpers -----------------------------------------------------------------------------------------


def _stored() -> list:
    return [sorted(model.objects.values_list("key", "updated_at")) for model in (UsageAggregate, ActivityRecord,
                                                                                 BilledCost)]
