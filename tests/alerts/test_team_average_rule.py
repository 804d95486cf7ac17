"""A team's average per active developer-day over a window of full days, against $13."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from costdash.alerts.models import AlertEvent, AlertRule
from tests.factories import DailyCostFactory, DeveloperFactory, TeamFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)


@pytest.fixture
def rule(default_rules):
    AlertRule.objects.exclude(kind="team_average").update(enabled=False)
    return default_rules["team_average"]


@pytest.fixture
def platform(db):
    """Platform, the 7 full days before Nov 20 (Nov 13-19): Ana $20 on 4 days, Bo $4 on 2 and a day
    with a row but no usage (not active): $88 over 6 active days, $14.67 a day. Outside the window:
    Ana $500 on Nov 12 and $500 today. Data: Cy $10 on 3 days."""
    team = TeamFactory(name="Platform")
    ana, bo = DeveloperFactory(name="Ana", team=team), DeveloperFactory(name="Bo", team=team)
    for n in range(4):
        DailyCostFactory(developer=ana, day=date(2026, 11, 13 + n), cost=Decimal("20.00"))
    for n in range(2):
        DailyCostFactory(developer=bo, day=date(2026, 11, 17 + n), cost=Decimal("4.00"))
    DailyCostFactory(developer=bo, day=date(2026, 11, 19), cost=Decimal("0"), requests=0, sessions=0)
    DailyCostFactory(developer=ana, day=date(2026, 11, 12), cost=Decimal("500.00"))
    DailyCostFactory(developer=ana, day=TODAY, cost=Decimal("500.00"))
    cy = DeveloperFactory(name="Cy", team=TeamFactory(name="Data"))
    for n in range(3):
        DailyCostFactory(developer=cy, day=date(2026, 11, 15 + n), cost=Decimal("10.00"))
    return team


def test_a_team_above_the_figure_over_the_window_alerts(rule, platform, evaluate):
    evaluate(now=NOW)
    event = AlertEvent.objects.get()
    assert (event.subject_key, event.day, event.figure, event.threshold) == (
        f"team:{platform.pk}", date(2026, 11, 19), Decimal("14.67"), Decimal("13.00"))
    assert event.summary == ("Team Platform averaged $14.67 per active developer-day over the 7 days 2026-11-13 to "
                             "2026-11-19 (6 active days, $88.00), above $13.00.")
    assert event.link == f"/developers/?team={platform.pk}&since=2026-11-13&until=2026-11-19"
    assert event.developer is None


def test_once_per_window_while_it_stays_above(rule, platform, evaluate):
    evaluate(now=NOW)
    for days in range(1, 7):  # still above on the following days: no new alert within the window
        DailyCostFactory(developer=platform.developers.get(name="Ana"), day=TODAY + timedelta(days=days - 1),
                         model=f"m{days}", cost=Decimal("20.00"))
        evaluate(now=NOW + timedelta(days=days))
    assert AlertEvent.objects.count() == 1
    evaluate(now=NOW + timedelta(days=7))  # a whole window later, still above: a new one
    assert list(AlertEvent.objects.order_by("day").values_list("day", flat=True)) == [
        date(2026, 11, 19), date(2026, 11, 26)]


def test_a_shorter_window_and_a_team_scope(rule, platform, evaluate):
    rule.delete()
    data = platform.__class__.objects.get(name="Data")
    AlertRule.objects.create(kind="team_average", scope="team", team=data, threshold=Decimal("9.99"), window_days=3)
    evaluate(now=NOW)  # Data over Nov 17-19: Cy's $10 on Nov 17 only; Platform is not this rule's
    event = AlertEvent.objects.get()
    assert (event.subject_key, event.figure) == (f"team:{data.pk}", Decimal("10.00"))
