"""Budget alerts: raised through the alert rules once per budget, share and period (and developer,
for the default budget), after a recompute and on the periodic check. Data: tests/budgets/conftest.py."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from costdash.alerts.evaluation import alerts_evaluate
from costdash.alerts.models import AlertEvent, AlertRule
from costdash.budgets.services import budget_rule_ensure
from tests.budgets.conftest import NOON, TODAY, budget
from tests.factories import DailyCostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(db):
    """Only the budget rule speaks (the default rules of a fresh install would alert on Cy's $100 day)."""
    AlertRule.objects.exclude(kind="budget_share").update(enabled=False)
    budget_rule_ensure()
    return AlertRule.objects.get(kind="budget_share")


def raised():
    return sorted((e.subject_key, e.day, e.developer_id, e.figure, e.threshold)
                  for e in AlertEvent.objects.filter(rule__kind="budget_share"))


def test_each_share_reached_alerts_once_per_period(rule, march, django_capture_on_commit_callbacks):
    ana = march["ana"]
    monthly = budget(developer=ana, amount="100", shares="25, 40, 50")
    with django_capture_on_commit_callbacks(execute=True):
        alerts_evaluate(now=NOON)  # $46 of $100: 25% and 40%, not 50%
    key = f"budget:{monthly.pk}:share:"
    assert raised() == [(key + "25", date(2026, 3, 1), ana.pk, Decimal("46"), Decimal("25")),
                        (key + "40", date(2026, 3, 1), ana.pk, Decimal("46"), Decimal("40"))]
    event = AlertEvent.objects.get(subject_key=key + "40")
    assert event.summary == ("Ana: $46.00 spent in March 2026, 46.0% of the $100.00 monthly budget, has reached "
                             "40% ($40.00).")
    assert event.link == "/budgets/"
    assert alerts_evaluate(now=NOON) == []  # the same shares in the same period: nothing new

    DailyCostFactory(developer=ana, day=TODAY, model="claude-opus-4-6", cost=Decimal("5.00"))  # $51 now
    new = alerts_evaluate(now=NOON, pairs={(ana.pk, TODAY)})  # as a recompute of that day runs it
    assert [e.subject_key for e in new] == [key + "50"]
    assert len(raised()) == 3

    # April: the month starts again, and its first $30 reaches 25% once more.
    DailyCostFactory(developer=ana, day=date(2026, 4, 1), cost=Decimal("30.00"))
    new = alerts_evaluate(now=datetime(2026, 4, 1, 18, tzinfo=timezone.utc))
    assert [(e.subject_key, e.day, e.figure) for e in new] == [(key + "25", date(2026, 4, 1), Decimal("30"))]


def test_weekly_and_daily_periods_alert_again_in_the_next_one(rule, march):
    ana = march["ana"]
    weekly = budget(developer=ana, period="week", amount="50", shares="50")
    daily = budget(developer=ana, period="day", amount="8", shares="50")
    alerts_evaluate(now=NOON)  # week: $39 of $50 (78%); day: $4 of $8 (exactly 50%: reached)
    assert [(e.subject_key, e.day) for e in AlertEvent.objects.filter(rule=rule).order_by("subject_key")] == [
        (f"budget:{weekly.pk}:share:50", date(2026, 3, 2)), (f"budget:{daily.pk}:share:50", TODAY)]
    DailyCostFactory(developer=ana, day=date(2026, 3, 5), cost=Decimal("4.00"))
    DailyCostFactory(developer=ana, day=date(2026, 3, 9), cost=Decimal("25.00"))
    alerts_evaluate(now=datetime(2026, 3, 5, 12, tzinfo=timezone.utc))  # a new day; the same week
    alerts_evaluate(now=datetime(2026, 3, 9, 12, tzinfo=timezone.utc))  # a new week (and day)
    assert sorted((e.subject_key.split(":")[1] == str(weekly.pk), e.day)
                  for e in AlertEvent.objects.filter(rule=rule)) == [
        (False, date(2026, 3, 4)), (False, date(2026, 3, 5)), (False, date(2026, 3, 9)),
        (True, date(2026, 3, 2)), (True, date(2026, 3, 9))]


def test_the_default_budget_alerts_per_developer_and_a_team_budget_about_no_one(rule, march):
    default = budget(scope="default", amount="30", shares="100")
    team = budget(scope="team", team=march["platform"], period="week", amount="40", shares="100")
    budget(developer=march["ana"], amount="1000", shares="100")  # Ana's own: the default does not cover her
    alerts_evaluate(now=NOON)
    # Cy $100 of $30; Bo $10 is under; the Platform team's week is $49 of $40.
    assert raised() == [
        (f"budget:{default.pk}:developer:{march['cy'].pk}:share:100", date(2026, 3, 1), march["cy"].pk,
         Decimal("100"), Decimal("30")),
        (f"team:{march['platform'].pk}:budget:{team.pk}:share:100", date(2026, 3, 2), None, Decimal("49"),
         Decimal("40")),
    ]
    # The team budget's alert is the team's: a channel scoped to the team takes it, another team's does not.
    from costdash.alerts.routing import event_team_id

    event = AlertEvent.objects.get(subject_key__startswith="team:")
    assert event_team_id(event) == march["platform"].pk


def test_a_recompute_of_another_period_or_developer_raises_nothing(rule, march):
    budget(developer=march["ana"], period="week", amount="50", shares="50")
    assert alerts_evaluate(now=NOON, pairs={(march["ana"].pk, date(2026, 2, 27))}) == []  # last week
    assert alerts_evaluate(now=NOON, pairs={(march["cy"].pk, date(2026, 3, 3))}) == []  # someone else
    assert len(alerts_evaluate(now=NOON, pairs={(march["ana"].pk, date(2026, 3, 3))})) == 1


def test_the_first_budget_creates_the_rule_and_a_disabled_one_stays_off(db, march, admin_client):
    AlertRule.objects.filter(kind="budget_share").delete()
    AlertRule.objects.update(enabled=False)
    response = admin_client.post("/budgets/new/", {"scope": "developer", "developer": march["ana"].pk,
                                                   "period": "month", "amount": "100", "alert_shares": "40"})
    assert response.status_code == 302
    rule = AlertRule.objects.get(kind="budget_share")
    rule.enabled = False
    rule.save()
    admin_client.post("/budgets/new/", {"scope": "default", "period": "week", "amount": "10", "alert_shares": "50"})
    assert list(AlertRule.objects.filter(kind="budget_share").values_list("enabled", flat=True)) == [False]
    assert alerts_evaluate(now=NOON) == []  # Ana's $46 is past 40%, but the rule is off
