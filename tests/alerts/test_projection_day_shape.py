"""The "on pace" rule projects today over the developer's own hour-of-day shape, else their team's,
else the org's, else a straight line, and says which; one read of the shapes per evaluation.

With a shape: projected = spent + (1 - share done) x (spent + usual day) / (share done + 1)."""
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
import pytest

from costdash.alerts.models import AlertEvent, AlertRule
from costdash.rollups.models import HourlyCost
from tests.alerts.conftest import at, org_today
from tests.factories import DailyCostFactory, DeveloperFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(default_rules):
    AlertRule.objects.exclude(kind="projected_ceiling").update(enabled=False)
    return default_rules


def history(developer, days: int, **hours: str) -> None:
    """``days`` days before today, each with the same spend per hour (h4="6.00": $6 in the 04 hour)."""
    today = org_today()
    HourlyCost.objects.bulk_create([
        HourlyCost(developer=developer, day=today - timedelta(days=n), hour=int(key[1:]), requests=1, cost=Decimal(cost))
        for n in range(1, days + 1) for key, cost in hours.items()
    ])


def projected() -> dict[str, tuple[Decimal, str]]:
    return {e.developer.name: (e.figure, e.summary)
            for e in AlertEvent.objects.filter(rule__kind="projected_ceiling").select_related("developer")}


def test_an_early_starter_is_on_pace_and_a_night_owl_is_not(rules, evaluate):
    today = org_today()
    ana, bo = DeveloperFactory(name="Ana"), DeveloperFactory(name="Bo")
    # Ana's $40 days: $6 in the 04 hour, $6 in the 05 hour, $18 at 10, $10 at 14. By 05:12: $6 + a fifth
    # of $6 = $7.20 of $40, 18%. $6.30 by then: 6.30 + 0.82 x 46.30 / 1.18 = $38.47 (a straight line
    # from midnight says 6.30 / (312 / 1440) = $29.08: under).
    history(ana, 14, h4="6.00", h5="6.00", h10="18.00", h14="10.00")
    DailyCostFactory(developer=ana, day=today, cost=Decimal("6.30"))
    # Bo's $40 days: $6 in each of the 01-04 hours, $16 at 15: 60% done by 05:12. $13.98 by then:
    # 13.98 + 0.4 x 53.98 / 1.6 = $27.48, under; the straight line said $64.52.
    history(bo, 14, h1="6.00", h2="6.00", h3="6.00", h4="6.00", h15="16.00")
    DailyCostFactory(developer=bo, day=today, cost=Decimal("13.98"))
    evaluate(now=at(today, 5, 12))
    assert projected() == {"Ana": (Decimal("38.47"), (
        f"Ana has spent $6.30 by 05:12 on {today:%Y-%m-%d}; usually 18% of their day is done by 05:12, and "
        "their days average $40.00 (their hours on 14 days of the last 56); with the rest of the day at a rate "
        "counting today so far with one usual day: the day ends at about $38.47, over the daily ceiling of "
        "$30.00."))}


def test_too_little_history_of_their_own_takes_the_teams_then_the_orgs(rules, evaluate):
    today = org_today()
    data = TeamFactory(name="Data")
    di, ed = DeveloperFactory(name="Di", team=data), DeveloperFactory(name="Ed", team=data)
    fay = DeveloperFactory(name="Fay", team=None)
    history(di, 30, h9="10.00", h13="30.00")
    history(ed, 3, h20="40.00")  # 3 days: too few of his own
    # The team (and the org: Fay has no hours): $300 at 09, $900 at 13, $120 at 20 over 33 developer-days,
    # $40 a day. By 12:00, 5/22 of the day: 10 + 17/22 x 50 / (27/22) = 10 + 850/27 = $41.48. Di's own:
    # 10/40 done by 12:00, 10 + 0.75 x 50 / 1.25 = $40.00.
    for who in (di, ed, fay):
        DailyCostFactory(developer=who, day=today, cost=Decimal("10.00"))
    evaluate(now=at(today, 12))
    assert {name: figure for name, (figure, _) in projected().items()} == {
        "Di": Decimal("40.00"), "Ed": Decimal("41.48"), "Fay": Decimal("41.48")}
    summaries = {name: summary for name, (_, summary) in projected().items()}
    assert ("usually 23% of a Data developer's day is done by 12:00, and their days average $40.00 (the team's "
            "hours on 33 developer-days of the last 56; too few of their own)") in summaries["Ed"]
    assert ("usually 23% of a developer's day here is done by 12:00, and their days average $40.00 (the org's "
            "hours on 33 developer-days of the last 56; too few of their own or their team's)") in summaries["Fay"]


def test_no_history_anywhere_keeps_the_straight_line_and_says_so(rules, evaluate):
    today = org_today()
    DailyCostFactory(developer=DeveloperFactory(name="Ana"), day=today, cost=Decimal("15.00"))
    evaluate(now=at(today, 10))
    assert projected() == {"Ana": (Decimal("36.00"), (
        f"Ana has spent $15.00 by 10:00 on {today:%Y-%m-%d}; 42% of the day has passed (a straight line from "
        "midnight, at today's pace: too little history of hours): the day ends at about $36.00, over the daily "
        "ceiling of $30.00."))}


def test_the_shapes_are_read_once_per_evaluation_whatever_the_rules(rules, evaluate):
    today = org_today()
    team = TeamFactory(name="Platform")
    ana = DeveloperFactory(name="Ana", team=team)
    history(ana, 14, h9="10.00", h13="30.00")
    AlertRule.objects.create(kind="projected_ceiling", scope="team", team=team, threshold=Decimal("20"))
    AlertRule.objects.create(kind="projected_ceiling", scope="developer", developer=ana, threshold=Decimal("25"))
    DailyCostFactory(developer=ana, day=today, cost=Decimal("10.00"))  # 25% of $40 days: 10 + 0.75 x 50 / 1.25
    with CaptureQueriesContext(connection) as captured:
        evaluate(now=at(today, 12))
    assert sum("rollups_hourlycost" in q["sql"] for q in captured.captured_queries) == 2
    assert AlertEvent.objects.filter(rule__kind="projected_ceiling", figure=Decimal("40.00")).count() == 3
