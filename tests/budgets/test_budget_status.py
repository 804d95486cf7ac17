"""Where each budget stands in its period, worked by hand from tests/budgets/conftest.py's march."""
from datetime import date, datetime, timezone
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
import pytest

from costdash.accounts.models import OrgSettings
from costdash.alerts.evaluation import evaluation_context
from costdash.budgets.models import Budget, parse_shares
from costdash.budgets.selectors import budgets_of_developer, budgets_status
from tests.budgets.conftest import TODAY, budget
from tests.factories import DailyCostFactory

pytestmark = pytest.mark.django_db


def figures(status):
    return (status.start, status.end, status.spend, status.burn_rate, status.projected, status.reach_day,
            status.status)


def test_a_monthly_budget(march):
    status, = budgets_status(TODAY, [budget(developer=march["ana"], amount="100")])
    # $46 to date + 27 days after Mar 4 at $10 = $316; $46 + 6 x $10 = $106 passes $100 on Mar 10.
    assert figures(status) == (date(2026, 3, 1), date(2026, 3, 31), Decimal("46"), Decimal("10"), Decimal("316"),
                               date(2026, 3, 10), "projected")
    assert status.share_used == Decimal("0.46") and status.reach_is_projected


def test_a_weekly_budget_is_the_iso_week(march):
    status, = budgets_status(TODAY, [budget(developer=march["ana"], period="week", amount="50")])
    # Mon Mar 2 - Sun Mar 8: $39 to date, 4 days left at $10: $79; $39 + 2 x $10 = $59 passes $50 on Mar 6.
    assert figures(status) == (date(2026, 3, 2), date(2026, 3, 8), Decimal("39"), Decimal("10"), Decimal("79"),
                               date(2026, 3, 6), "projected")


def test_reaching_exactly_the_budget_is_not_going_over_it(march):
    status, = budgets_status(TODAY, [budget(developer=march["ana"], period="week", amount="59")])
    # $39 + 2 x $10 = $59 exactly: one more day is needed, Mar 7.
    assert status.reach_day == date(2026, 3, 7)


def test_a_daily_budget_projects_only_what_today_has_spent(march):
    ana, bo = budgets_status(TODAY, [budget(developer=march["ana"], period="day", amount="20"),
                                     budget(developer=march["bo"], period="day", amount="3")])
    assert figures(ana) == (TODAY, TODAY, Decimal("4"), Decimal("10"), Decimal("4"), None, "ok")
    assert (bo.spend, bo.projected, bo.reach_day, bo.status) == (Decimal("0"), Decimal("0"), None, "ok")
    Budget.objects.filter(developer=march["ana"]).update(amount=Decimal("3.50"))
    tight, = budgets_status(TODAY, Budget.objects.filter(developer=march["ana"]))
    assert (tight.spend, tight.reach_day, tight.status, tight.reach_is_projected) == (
        Decimal("4"), TODAY, "over", False)


def test_a_team_budget_counts_its_developers_together(march):
    status, = budgets_status(TODAY, [budget(scope="team", team=march["platform"], period="week", amount="100")])
    # Ana $39 + Bo $10 = $49 this week; burn (70 + 10) / 7 a day; 4 days left.
    assert status.spend == Decimal("49")
    assert status.burn_rate == Decimal(80) / 7
    assert status.projected == Decimal(49) + Decimal(80) / 7 * 4
    assert status.reach_day is None  # ceil(51 / (80/7)) = 5 days: Mar 9, after the week ends
    assert status.developer is None


def test_the_default_covers_each_developer_without_their_own(march):
    budget(developer=march["ana"], amount="100")
    default = budget(scope="default", amount="30")
    statuses = [s for s in budgets_status(TODAY) if s.budget == default]
    # Bo: $10 to date, burning $10/7 a day: $10 + 14 x 10/7 is exactly $30, not over it; day 15 is, Mar 19.
    assert [(s.developer.name, s.spend, s.status, s.reach_day) for s in statuses] == [
        ("Bo", Decimal("10"), "projected", date(2026, 3, 19)), ("Cy", Decimal("100"), "over", date(2026, 3, 3))]
    weekly_default = budget(scope="default", period="week", amount="30")
    # Ana has a monthly budget of her own, not a weekly one: the weekly default covers her.
    assert {s.developer.name for s in budgets_status(TODAY) if s.budget == weekly_default} == {"Ana", "Bo", "Cy"}


def test_a_developer_sees_their_own_and_the_default_not_their_team(march):
    own = budget(developer=march["ana"], period="week", amount="50")
    default = budget(scope="default", amount="30")
    budget(scope="team", team=march["platform"], amount="500")
    budget(developer=march["bo"], amount="40")
    mine = budgets_of_developer(march["ana"], TODAY)
    assert [(s.budget, s.developer) for s in mine] == [(default, march["ana"]), (own, march["ana"])]


def test_the_week_is_the_org_time_zones(march):
    org = OrgSettings.get()
    org.time_zone = "America/Los_Angeles"
    org.save()
    # 03:00 UTC on Monday Mar 9 is still Sunday Mar 8 in Los Angeles: the week of Mar 2 - 8.
    ctx = evaluation_context(now=datetime(2026, 3, 9, 3, tzinfo=timezone.utc))
    status, = budgets_status(ctx.today, [budget(developer=march["ana"], period="week", amount="50")])
    assert (status.start, status.end, status.today) == (date(2026, 3, 2), date(2026, 3, 8), date(2026, 3, 8))


def test_late_spend_is_counted_when_the_day_is_recomputed(march):
    DailyCostFactory(developer=march["ana"], day=TODAY, model="claude-opus-4-6", cost=Decimal("6.00"))
    status, = budgets_status(TODAY, [budget(developer=march["ana"], period="day", amount="20")])
    assert status.spend == Decimal("10")


def test_one_budget_per_subject_and_period(march):
    budget(developer=march["ana"], period="week")
    budget(developer=march["ana"], period="month")
    with pytest.raises(IntegrityError), transaction.atomic():
        budget(developer=march["ana"], period="week")
    budget(scope="default", period="week")
    with pytest.raises(IntegrityError), transaction.atomic():
        budget(scope="default", period="week")
    with pytest.raises(IntegrityError), transaction.atomic():
        budget(scope="team", developer=march["ana"])  # a team budget names a team


@pytest.mark.parametrize(("text", "shares"), [
    ("50, 80,100", [Decimal(50), Decimal(80), Decimal(100)]),
    ("100;50;50%", [Decimal(50), Decimal(100)]),
    ("87.5", [Decimal("87.5")]),
    ("", []),
])
def test_alert_shares(text, shares):
    assert parse_shares(text) == shares


@pytest.mark.parametrize("text", ["0", "-5", "abc", "1001", "33.33", "nan"])
def test_bad_alert_shares(text):
    with pytest.raises(ValidationError):
        parse_shares(text)
