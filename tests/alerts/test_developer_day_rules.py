"""The daily ceiling and its projection: scopes, thresholds, the org's day, the share of it passed."""
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest

from costdash.accounts.models import OrgSettings
from costdash.alerts.models import AlertEvent, AlertRule
from tests.alerts.conftest import at, org_today
from tests.factories import DailyCostFactory, DeveloperFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(default_rules):
    AlertRule.objects.exclude(kind__in=["daily_ceiling", "projected_ceiling"]).update(enabled=False)
    return default_rules


def spend(developer, day, *costs: str):
    for i, cost in enumerate(costs):
        DailyCostFactory(developer=developer, day=day, model=f"claude-model-{i}", cost=Decimal(cost))


def raised(kind: str) -> list[tuple[str, object, Decimal]]:
    return sorted(AlertEvent.objects.filter(rule__kind=kind).values_list("developer__name", "day", "figure"))


def test_a_day_is_summed_over_its_models_and_sources(rules, evaluate):
    ana = DeveloperFactory(name="Ana")
    day = org_today() - timedelta(days=3)
    spend(ana, day, "20.00", "10.01")  # $30.01
    spend(DeveloperFactory(name="Bo"), day, "20.00", "10.00")  # $30.00 exactly: not over
    evaluate()
    assert raised("daily_ceiling") == [("Ana", day, Decimal("30.01"))]


def test_team_and_developer_scopes_and_their_own_thresholds(rules, evaluate):
    platform, data = TeamFactory(name="Platform"), TeamFactory(name="Data")
    ana, bo, cy = (DeveloperFactory(name="Ana", team=platform), DeveloperFactory(name="Bo", team=data),
                   DeveloperFactory(name="Cy", team=data))
    day = org_today() - timedelta(days=1)
    spend(ana, day, "25.00")
    spend(bo, day, "25.00")
    spend(cy, day, "12.00")
    rules["daily_ceiling"].delete()
    AlertRule.objects.create(kind="daily_ceiling", scope="team", team=platform, threshold=Decimal("20"))
    AlertRule.objects.create(kind="daily_ceiling", scope="developer", developer=cy, threshold=Decimal("10"))
    evaluate()
    assert raised("daily_ceiling") == [("Ana", day, Decimal("25.00")), ("Cy", day, Decimal("12.00"))]


def test_projected_from_the_share_of_the_day_passed(rules, evaluate):
    today = org_today()
    ana, bo, cy = DeveloperFactory(name="Ana"), DeveloperFactory(name="Bo"), DeveloperFactory(name="Cy")
    spend(ana, today, "15.00")  # at 10:00, 10/24 of the day: on pace for $36.00
    spend(bo, today, "12.00")  # on pace for $28.80: under
    spend(cy, today, "31.00")  # already over: the daily ceiling rule speaks, not the projection
    spend(DeveloperFactory(name="Di"), today - timedelta(days=1), "20.00")  # yesterday is never projected
    events = evaluate(now=at(today, 10))
    assert raised("projected_ceiling") == [("Ana", today, Decimal("36.00"))]
    assert raised("daily_ceiling") == [("Cy", today, Decimal("31.00"))]
    projected = next(e for e in events if e.rule.kind == "projected_ceiling")
    assert projected.summary == (f"Ana has spent $15.00 by 10:00 on {today:%Y-%m-%d}; 42% of the day has passed (a "
                                 "straight line from midnight, at today's pace: too little history of hours): the "
                                 "day ends at about $36.00, over the daily ceiling of $30.00.")


def test_no_projection_in_the_first_two_hours(rules, evaluate):
    today = org_today()
    spend(DeveloperFactory(name="Ana"), today, "5.00")  # $120 a day at 01:00, but too early to say
    evaluate(now=at(today, 1))
    assert raised("projected_ceiling") == []
    evaluate(now=at(today, 2))  # $60.00 at 02:00
    assert raised("projected_ceiling") == [("Ana", today, Decimal("60.00"))]


def test_the_projection_uses_the_org_day(rules, evaluate):
    OrgSettings.objects.filter(pk=OrgSettings.get().pk).update(time_zone="America/Los_Angeles")
    now = datetime(2026, 11, 30, 2, 0, tzinfo=dt_timezone.utc)  # 18:00 on Nov 29 in Los Angeles (PST)
    spend(DeveloperFactory(name="Ana"), date(2026, 11, 29), "24.00")  # 3/4 of the day: on pace for $32.00
    evaluate(now=now)
    assert raised("projected_ceiling") == [("Ana", date(2026, 11, 29), Decimal("32.00"))]
