"""Budgets' data, worked by hand. Today is Wednesday 2026-03-04 (ISO week 2026-W10: Monday Mar 2 to
Sunday Mar 8); the test org is on UTC unless a test says otherwise.

Ana spends $7 a day Feb 25 - Mar 1, $14 on Mar 2, $21 on Mar 3 and $4 so far today. The 7 full days
before today (Feb 25 - Mar 3) cost $70: a burn rate of $10 a day. Her month to date is $46 (Mar 1-4),
her week $39 (Mar 2-4), her day $4. Bo (Ana's team) spends $10 on Mar 3; Cy (another team) $100.
"""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from costdash.budgets.models import Budget
from tests.factories import DailyCostFactory, DeveloperFactory, TeamFactory, UserFactory

TODAY = date(2026, 3, 4)
NOON = datetime(2026, 3, 4, 12, tzinfo=timezone.utc)


@pytest.fixture
def march(db):
    platform, data = TeamFactory(name="Platform"), TeamFactory(name="Data")
    ana = DeveloperFactory(email="ana.b@example.com", name="Ana", team=platform, user=UserFactory(username="ana.b"))
    bo = DeveloperFactory(email="bo.b@example.com", name="Bo", team=platform, user=UserFactory(username="bo.b"))
    cy = DeveloperFactory(email="cy.b@example.com", name="Cy", team=data)
    for n in range(5):
        DailyCostFactory(developer=ana, day=date(2026, 2, 25) + timedelta(days=n), cost=Decimal("7.00"))
    DailyCostFactory(developer=ana, day=date(2026, 3, 2), cost=Decimal("14.00"))
    DailyCostFactory(developer=ana, day=date(2026, 3, 3), cost=Decimal("21.00"))
    DailyCostFactory(developer=ana, day=TODAY, cost=Decimal("4.00"))
    DailyCostFactory(developer=bo, day=date(2026, 3, 3), cost=Decimal("10.00"))
    DailyCostFactory(developer=cy, day=date(2026, 3, 3), cost=Decimal("100.00"))
    return {"ana": ana, "bo": bo, "cy": cy, "platform": platform, "data": data}


def budget(scope="developer", period="month", amount="100", shares="50, 80, 100", **fields) -> Budget:
    return Budget.objects.create(scope=scope, period=period, amount=Decimal(amount), alert_shares=shares, **fields)
