"""A scope of every developer reads the rollup tables without a developer filter, and gives the same
rows as one that names them all; any narrowing (a team, one developer, none) keeps the filter."""
from datetime import date
from decimal import Decimal

import pytest

from costdash.accounts.models import Developer
from costdash.rollups.scope import Scope
from tests.factories import DailyCostFactory, DeveloperFactory, TeamFactory

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 2)


def test_every_developer_needs_no_filter_and_gives_the_same_rows():
    team = TeamFactory(name="Platform")
    ana, bo = DeveloperFactory(team=team), DeveloperFactory()
    DailyCostFactory(developer=ana, day=DAY, cost=Decimal("3.00"))
    DailyCostFactory(developer=bo, day=DAY, cost=Decimal("4.00"))
    everyone = Scope(Developer.objects.all(), DAY, DAY)
    assert everyone.everyone and "developer_id" not in str(everyone.daily_costs().query).split("WHERE")[1]
    named = Scope(Developer.objects.filter(pk__in=[ana.pk, bo.pk]), DAY, DAY)
    assert not named.everyone
    assert sorted(everyone.daily_costs().values_list("cost", flat=True)) == \
        sorted(named.daily_costs().values_list("cost", flat=True)) == [Decimal("3.00"), Decimal("4.00")]
    for narrowed, costs in ((Developer.objects.filter(team=team), [Decimal("3.00")]),
                            (Developer.objects.filter(pk=bo.pk), [Decimal("4.00")]), (Developer.objects.none(), [])):
        scope = Scope(narrowed, DAY, DAY)
        assert not scope.everyone
        assert list(scope.daily_costs().values_list("cost", flat=True)) == costs
