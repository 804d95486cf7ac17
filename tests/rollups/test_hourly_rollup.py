"""HourlyCost: each developer's requests and cost per org-local day and wall-clock hour, rebuilt by
the same recompute as DailyCost (delete and insert), each request counted once.

Figures worked by hand. America/New_York: EDT is UTC-4, EST UTC-5; clocks went forward at
2026-03-08 07:00Z (02:00 EST -> 03:00 EDT) and back at 2026-11-01 06:00Z (02:00 EDT -> 01:00 EST).
Asia/Kolkata is UTC+5:30, all year.
"""
from datetime import UTC, date, datetime
from decimal import Decimal as D
from itertools import count

import pytest

from costdash.accounts.models import OrgSettings
from costdash.ingest.models import UsageAggregate, UsageEvent
from costdash.rollups.models import DailyCost, HourlyCost
from costdash.rollups.services import daily_cost_mark_dirty, daily_cost_recompute_dirty
from tests.factories import DeveloperFactory

pytestmark = pytest.mark.django_db
_keys = count()


def org_zone(name: str) -> None:
    org = OrgSettings.get()
    org.time_zone = name
    org.save()


def event(developer, ts: str, cost: str | None, source: str = "claude_code_jsonl", req: str = "") -> UsageEvent:
    """A request at ``ts`` (UTC) costing ``cost`` (None: unpriced)."""
    return UsageEvent.objects.create(
        dedupe_key=f"{source}:{next(_keys)}", source=source, developer=developer,
        timestamp=datetime.fromisoformat(ts).replace(tzinfo=UTC), model="claude-sonnet-4-6",
        request_id=req, output_tokens=1000, cost=None if cost is None else D(cost),
    )


def recompute(developer, *days: date) -> None:
    daily_cost_mark_dirty((developer.pk, day) for day in days)
    daily_cost_recompute_dirty()


def hours(developer) -> dict[tuple[date, int], tuple[int, int, D]]:
    return {
        (r.day, r.hour): (r.requests, r.unpriced_requests, r.cost)
        for r in HourlyCost.objects.filter(developer=developer)
    }


@pytest.fixture
def dev(db):
    return DeveloperFactory(email="hana@example.com", name="Hana")


def test_the_repeated_hour_when_clocks_go_back_is_one_hour_and_days_follow_the_org_zone(dev):
    org_zone("America/New_York")
    event(dev, "2026-11-01T05:30:00", "1.25")  # 01:30 EDT, Sunday Nov 1
    event(dev, "2026-11-01T06:30:00", "2.50")  # 01:30 EST: the same wall-clock hour, an hour later
    event(dev, "2026-11-01T07:10:00", None)  # 02:10 EST, unpriced
    event(dev, "2026-11-03T04:30:00", "4.00")  # 23:30 EST Monday Nov 2 (under EDT it would be Nov 3)
    recompute(dev, date(2026, 11, 1), date(2026, 11, 2))
    assert hours(dev) == {
        (date(2026, 11, 1), 1): (2, 0, D("3.75")),
        (date(2026, 11, 1), 2): (1, 1, D(0)),
        (date(2026, 11, 2), 23): (1, 0, D("4.00")),
    }


def test_the_skipped_hour_when_clocks_go_forward_has_no_row(dev):
    org_zone("America/New_York")
    event(dev, "2026-03-08T06:59:00", "1.00")  # 01:59 EST
    event(dev, "2026-03-08T07:00:00", "2.00")  # 03:00 EDT: 02:00-02:59 never happened
    event(dev, "2026-03-09T03:30:00", "3.00")  # 23:30 EDT Sunday Mar 8 (a UTC Monday)
    recompute(dev, date(2026, 3, 8))
    assert hours(dev) == {
        (date(2026, 3, 8), 1): (1, 0, D("1.00")),
        (date(2026, 3, 8), 3): (1, 0, D("2.00")),
        (date(2026, 3, 8), 23): (1, 0, D("3.00")),
    }


def test_a_half_hour_zone_places_requests_on_its_own_wall_clock(dev):
    org_zone("Asia/Kolkata")
    event(dev, "2026-03-02T20:00:00", "0.10")  # 01:30 IST Tuesday Mar 3
    event(dev, "2026-03-02T18:29:00", "0.20")  # 23:59 IST Monday Mar 2
    recompute(dev, date(2026, 3, 2), date(2026, 3, 3))
    assert hours(dev) == {(date(2026, 3, 3), 1): (1, 0, D("0.10")), (date(2026, 3, 2), 23): (1, 0, D("0.20"))}


def test_a_request_from_two_sources_counts_once_and_hours_add_up_to_the_day(dev):
    org_zone("UTC")
    event(dev, "2026-03-02T10:15:00", "0.03", source="claude_code_jsonl", req="req_1")
    event(dev, "2026-03-02T10:15:01", "0.04", source="otel", req="req_1")  # the same request: otel counts
    event(dev, "2026-03-02T11:00:00", "0.50", source="claude_code_jsonl", req="req_2")
    recompute(dev, date(2026, 3, 2))
    assert hours(dev) == {(date(2026, 3, 2), 10): (1, 0, D("0.04")), (date(2026, 3, 2), 11): (1, 0, D("0.50"))}
    day = DailyCost.objects.filter(developer=dev, day=date(2026, 3, 2))
    assert sum(r.cost for r in day) == D("0.54") == sum(r[2] for r in hours(dev).values())


def test_recomputing_twice_gives_the_same_rows_and_a_day_without_events_loses_them(dev):
    org_zone("UTC")
    first = event(dev, "2026-03-02T09:00:00", "1.00")
    event(dev, "2026-03-02T09:30:00", "1.00")
    recompute(dev, date(2026, 3, 2))
    recompute(dev, date(2026, 3, 2))
    assert hours(dev) == {(date(2026, 3, 2), 9): (2, 0, D("2.00"))}
    first.delete()
    recompute(dev, date(2026, 3, 2))
    assert hours(dev) == {(date(2026, 3, 2), 9): (1, 0, D("1.00"))}
    UsageEvent.objects.all().delete()
    recompute(dev, date(2026, 3, 2))
    assert hours(dev) == {}


def test_a_day_counted_from_a_daily_report_has_no_hour(dev):
    org_zone("UTC")
    UsageAggregate.objects.create(
        key="test|daily", source="anthropic_usage", developer=dev, start=datetime(2026, 3, 2, tzinfo=UTC),
        width="1d", model="claude-sonnet-4-6", raw_model="claude-sonnet-4-6", output_tokens=1000, requests=3,
        cost=D("7.00"),
    )
    recompute(dev, date(2026, 3, 2))
    assert DailyCost.objects.get(developer=dev).cost == D("7.00")
    assert hours(dev) == {}
