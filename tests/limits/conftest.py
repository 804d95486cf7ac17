"""Spend data for the limits tests: org usage (DailyCost) and one workspace's Anthropic reports."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from costdash.ingest.models import BilledCost, UsageAggregate
from costdash.limits.models import SpendLimit
from tests.factories import DailyCostFactory, DeveloperFactory

MARCH_10 = date(2026, 3, 10)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.fixture
def org_usage(db):
    """Two developers. March 1–9: Ada $10 + Bo $4 = $14 a day; March 10 (today): Ada $3 so far.
    February: Ada $100 on the 10th and $7 a day on the 23rd–28th. Ada has 3 unpriced requests on
    March 5 and 5 on February 28."""
    ada, bo = DeveloperFactory(name="Ada"), DeveloperFactory(name="Bo")
    for day in days(date(2026, 3, 1), date(2026, 3, 9)):
        DailyCostFactory(developer=ada, day=day, cost=Decimal("10.00"), unpriced_requests=3 if day.day == 5 else 0)
        DailyCostFactory(developer=bo, day=day, cost=Decimal("4.00"))
    DailyCostFactory(developer=ada, day=MARCH_10, cost=Decimal("3.00"))
    DailyCostFactory(developer=ada, day=date(2026, 2, 10), cost=Decimal("100.00"))
    for day in days(date(2026, 2, 23), date(2026, 2, 28)):
        DailyCostFactory(developer=ada, day=day, cost=Decimal("7.00"), unpriced_requests=5 if day.day == 28 else 0)
    return ada, bo


def org_limit(amount: str, share: str = "0.8") -> SpendLimit:
    return SpendLimit.objects.create(scope="org", amount=Decimal(amount), warning_share=Decimal(share))


def workspace_limit(workspace: str, amount: str, share: str = "0.8") -> SpendLimit:
    return SpendLimit.objects.create(
        scope="workspace", workspace=workspace, amount=Decimal(amount), warning_share=Decimal(share)
    )


def billed(workspace: str, day: date, amount: str, line: str = "tokens") -> BilledCost:
    return BilledCost.objects.create(
        key=f"test|{workspace}|{day}|{line}", day=day, workspace=workspace, description=line, amount=Decimal(amount)
    )


def usage(workspace: str, start: datetime, width: str, cost: str | None) -> UsageAggregate:
    return UsageAggregate.objects.create(
        key=f"test|{workspace}|{start.isoformat()}|{width}", source="anthropic_usage", start=start, width=width,
        model="claude-sonnet-4-6", raw_model="claude-sonnet-4-6", workspace=workspace, input_tokens=1000,
        cost=None if cost is None else Decimal(cost),
    )


def utc(day: date, hour: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


@pytest.fixture
def workspace_reports(db):
    """Workspace wrkspc_A in March (UTC days):
    - billed March 1–7: two lines a day, $2.50 + $1.50 = $4.00;
    - usage report, priced: a daily bucket of $3.90 on every day March 1–9 (March 1–7 are billed,
      so theirs are not read); March 9 also imported hourly ($1.00 + $2.00: the daily bucket wins);
      March 10 hourly only: $0.60 at 00:00Z, $0.40 at 01:00Z and one unpriced row at 02:00Z.
    Other workspaces' rows and rows with no workspace must not count: wrkspc_B billed $50 on March
    2; no workspace $80 on March 2."""
    for day in days(date(2026, 3, 1), date(2026, 3, 7)):
        billed("wrkspc_A", day, "2.50", "input")
        billed("wrkspc_A", day, "1.50", "output")
    for day in days(date(2026, 3, 1), date(2026, 3, 9)):
        usage("wrkspc_A", utc(day), "1d", "3.90")
    usage("wrkspc_A", utc(date(2026, 3, 9), 10), "1h", "1.00")
    usage("wrkspc_A", utc(date(2026, 3, 9), 11), "1h", "2.00")
    usage("wrkspc_A", utc(MARCH_10, 0), "1h", "0.60")
    usage("wrkspc_A", utc(MARCH_10, 1), "1h", "0.40")
    usage("wrkspc_A", utc(MARCH_10, 2), "1h", None)
    billed("wrkspc_B", date(2026, 3, 2), "50.00")
    usage("", utc(date(2026, 3, 2)), "1d", "80.00")
