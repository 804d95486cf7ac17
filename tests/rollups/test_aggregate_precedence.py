"""Daily aggregates count only where no per-request source reported the developer-day, and then
from one aggregate source; activity comes from one source per day; identities map aggregates too.

Prices (Sonnet 4.6, per MTok): input $3, output $15, cache read $0.30, 5m write $3.75, 1h write $6.
"""
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from costdash.accounts.models import Identity, OrgSettings
from costdash.accounts.services import IdentityMap, developers_merge, identity_assign
from costdash.ingest.aggregates import records_write
from costdash.ingest.models import ActivityRecord, UsageAggregate, UsageEvent
from costdash.ingest.parsers.base import ParsedActivity, ParsedAggregate
from costdash.pricing.services import rate_table
from costdash.rollups.models import DailyActivity, DailyCost
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.factories import DeveloperFactory

pytestmark = pytest.mark.django_db
DAY = datetime(2026, 5, 4, tzinfo=UTC)
ANA = "ana@example.com"


def agg(source, key, *, email=ANA, identity="", start=DAY, width="1d", **tokens):
    return source, ParsedAggregate(
        key=f"{source}:{key}", start=start, width=width, raw_model="claude-sonnet-4-6", email=email,
        identity=identity, **tokens,
    )


def write(*records):
    tz = OrgSettings.get().time_zone
    result = records_write(records, batch_id=None, identities=IdentityMap(), table=rate_table(), tz=tz)
    daily_cost_recompute_dirty()
    return result


@pytest.fixture(autouse=True)
def utc_org(db):
    org = OrgSettings.get()
    org.time_zone = "UTC"
    org.save()


def rollup():
    return sorted(DailyCost.objects.values_list("day", "source", "input_tokens", "output_tokens", "cost"))


def test_a_day_with_only_aggregates_is_priced_from_its_tokens():
    write(agg("anthropic_usage", "a", input_tokens=1_000_000, output_tokens=100_000, cache_write_5m_tokens=1_000_000))
    # 1M x $3 + 0.1M x $15 + 1M x $3.75 = 3 + 1.5 + 3.75
    assert rollup() == [(date(2026, 5, 4), "anthropic_usage", 1_000_000, 100_000, D("8.25"))]


def test_of_two_aggregate_sources_for_a_day_only_the_more_trusted_counts():
    write(
        agg("claude_code_analytics", "x", input_tokens=2_000_000),
        agg("anthropic_usage", "y", input_tokens=1_000_000),
    )
    assert rollup() == [(date(2026, 5, 4), "anthropic_usage", 1_000_000, 0, D("3"))]


def test_per_request_events_win_the_day_over_aggregates():
    write(agg("anthropic_usage", "a", input_tokens=1_000_000), agg("anthropic_usage", "b", start=datetime(
        2026, 5, 5, tzinfo=UTC), input_tokens=2_000_000))
    ana = Identity.objects.get(external_id=ANA).developer
    UsageEvent.objects.create(
        dedupe_key="otel:req_1", source="otel", developer=ana, timestamp=DAY.replace(hour=9),
        model="claude-sonnet-4-6", output_tokens=1000, cost=D("0.015"),
    )
    from costdash.rollups.services import daily_cost_mark_dirty

    daily_cost_mark_dirty([(ana.pk, date(2026, 5, 4))])
    daily_cost_recompute_dirty()
    assert rollup() == [
        (date(2026, 5, 4), "otel", 0, 1000, D("0.015")),  # the report's 1M input of that day is not added
        (date(2026, 5, 5), "anthropic_usage", 2_000_000, 0, D("6")),  # no request source that day
    ]


def test_a_refetched_bucket_replaces_the_stored_one_and_the_same_bucket_changes_nothing():
    first = write(agg("anthropic_usage", "a", input_tokens=1_000_000))
    again = write(agg("anthropic_usage", "a", input_tokens=1_000_000))
    later = write(agg("anthropic_usage", "a", input_tokens=3_000_000))
    assert (first.new, again.unchanged, later.updated) == (1, 1, 1)
    assert rollup() == [(date(2026, 5, 4), "anthropic_usage", 3_000_000, 0, D("9"))]


def test_hourly_buckets_fall_on_the_org_local_day_and_daily_ones_keep_their_utc_date():
    org = OrgSettings.get()
    org.time_zone = "America/New_York"
    org.save()
    write(
        agg("anthropic_usage", "h", start=datetime(2026, 5, 5, 2, tzinfo=UTC), width="1h", input_tokens=1_000_000),
        agg("claude_code_analytics", "d", start=datetime(2026, 5, 5, tzinfo=UTC), input_tokens=1_000_000),
    )
    # 02:00 UTC on May 5 is 22:00 on May 4 in New York; the UTC day May 5 stays May 5.
    assert [(d, s) for d, s, *_ in rollup()] == [
        (date(2026, 5, 4), "anthropic_usage"), (date(2026, 5, 5), "claude_code_analytics"),
    ]


def test_a_model_without_a_price_is_flagged_not_zero():
    source, record = agg("litellm_daily", "m", input_tokens=1000)
    record.raw_model = "claude-imaginary-9"
    result = write((source, record))
    assert result.unpriced == {"claude-imaginary-9": 1}
    assert UsageAggregate.objects.get().cost is None
    row = DailyCost.objects.get()
    assert (row.cost, row.unpriced_requests) == (0, 1)


def activity(source, key, **figures):
    return source, ParsedActivity(key=f"{source}:{key}", start=DAY, width="1d" if source != "otel_metrics" else "",
                                  email=ANA, **figures)


def test_activity_comes_from_one_source_per_day():
    write(
        activity("claude_code_analytics", "a", sessions=4, lines_added=210, lines_removed=35, commits=2),
        activity("otel_metrics", "p1", sessions=1, lines_added=100),
        activity("otel_metrics", "p2", sessions=2, lines_added=20, lines_removed=5),
    )
    row = DailyActivity.objects.get()
    assert (row.source, row.sessions, row.lines_added, row.lines_removed, row.commits) == ("otel_metrics", 3, 120, 5, 0)


def test_mapping_an_identity_moves_its_aggregates_and_activity_and_the_rollups_follow():
    write(
        agg("anthropic_usage", "a", email="", identity="user_01ana", input_tokens=1_000_000),
        ("claude_code_analytics", ParsedActivity(
            key="claude_code_analytics:b", start=DAY, width="1d", identity="user_01ana", sessions=2)),
    )
    assert not DailyCost.objects.exists()  # unassigned: nobody's spend yet
    identity = Identity.objects.get(source="anthropic", external_id="user_01ana")
    ana = DeveloperFactory(email=ANA)
    identity_assign(identity, ana)
    daily_cost_recompute_dirty()
    assert list(DailyCost.objects.values_list("developer", "cost")) == [(ana.pk, D("3"))]
    assert list(DailyActivity.objects.values_list("developer", "sessions")) == [(ana.pk, 2)]
    other = DeveloperFactory(email="ana@old.example.com")
    developers_merge(ana, into=other)
    daily_cost_recompute_dirty()
    assert list(DailyCost.objects.values_list("developer", "cost")) == [(other.pk, D("3"))]
    assert ActivityRecord.objects.get().developer == other


def test_one_litellm_user_is_one_identity_across_its_sources():
    identities = IdentityMap()
    spendlogs = identities.resolve("litellm_spendlogs", "ci-bot")
    payload = IdentityMap().resolve("litellm_payload", "ci-bot")
    daily = IdentityMap().resolve("litellm_daily", "ci-bot")
    assert spendlogs == payload == daily
    assert Identity.objects.get().source == "litellm"
