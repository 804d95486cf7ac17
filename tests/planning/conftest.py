"""Three developers' API spend in July-September 2026, worked out by hand in each test.

Ana (team Web): July $12 on the 3rd + $10 on the 10th = $22; August $90 on the 5th + $60 on the 20th
= $150; September $5 on the 1st. Bo (team Web, Ana's login is not his): July $20 on the 15th;
nothing in August; September $19.99 on the 9th, with 3 requests of no known price. Cy (team Data):
$250 on the 2nd of each month. Plan prices: the seeded table (Pro $20, Max 5x $100, Max 20x $200,
Team premium and Enterprise with no price).
"""
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
import pytest

from costdash.accounts.models import Developer
from tests.factories import DailyCostFactory, DeveloperFactory, TeamFactory, UserFactory

JULY, AUGUST, SEPTEMBER = date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)
WINDOW = [JULY, AUGUST, SEPTEMBER]
THROUGH = date(2026, 12, 6)
QUERY = "?month=2026-09&months=3"


@pytest.fixture
def spend(db):
    web, data = TeamFactory(name="Web"), TeamFactory(name="Data")
    ana_user = get_user_model().objects.filter(username="ana").first()
    ana = DeveloperFactory(email="ana@example.com", name="Ana", team=web, user=ana_user)
    Developer.objects.filter(pk=ana.pk).update(team=web)  # the developer_user fixture made her teamless
    bo = DeveloperFactory(email="bo@example.com", name="Bo", team=web, user=UserFactory(username="bo"))
    cy = DeveloperFactory(email="cy@example.com", name="Cy", team=data)
    rows = [
        (ana, date(2026, 7, 3), "12.00", 0), (ana, date(2026, 7, 10), "10.00", 0),
        (ana, date(2026, 8, 5), "90.00", 0), (ana, date(2026, 8, 20), "60.00", 0), (ana, date(2026, 9, 1), "5.00", 0),
        (bo, date(2026, 7, 15), "20.00", 0), (bo, date(2026, 9, 9), "19.99", 3),
        (cy, date(2026, 7, 2), "250.00", 0), (cy, date(2026, 8, 2), "250.00", 0), (cy, date(2026, 9, 2), "250.00", 0),
    ]
    for developer, day, cost, unpriced in rows:
        DailyCostFactory(developer=developer, day=day, cost=Decimal(cost), unpriced_requests=unpriced)
    return {"ana": Developer.objects.get(pk=ana.pk), "bo": bo, "cy": cy}
