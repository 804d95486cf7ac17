"""The Budgets page and form, and the budget card on a developer's home page (data: conftest's march)."""
from datetime import timedelta
from decimal import Decimal
import re

from django.test import Client
import pytest

from costdash.budgets.models import Budget
from costdash.budgets.periods import period_label
from costdash.limits.selectors import org_today
from tests.budgets.conftest import budget
from tests.factories import DailyCostFactory

pytestmark = pytest.mark.django_db


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def now_spend(march):
    """Spend on the org's real today (the pages show the current period): Ana $4, Bo $6; and $70 for
    Ana seven days ago, in the burn window but never in today's ISO week."""
    today = org_today()
    DailyCostFactory(developer=march["ana"], day=today, cost=Decimal("4.00"))
    DailyCostFactory(developer=march["bo"], day=today, cost=Decimal("6.00"))
    DailyCostFactory(developer=march["ana"], day=today - timedelta(days=7), cost=Decimal("70.00"))
    return today


def test_admins_and_billing_see_every_budget_with_spend_share_and_reach(march, now_spend, admin_user, billing_user):
    budget(developer=march["ana"], period="day", amount="8")
    budget(scope="team", team=march["platform"], period="day", amount="40", note="Platform's cap")
    budget(developer=march["cy"], period="day", amount="0.50")
    cy_spend = DailyCostFactory(developer=march["cy"], day=now_spend, cost=Decimal("1.00"))
    for user in (admin_user, billing_user):
        page = as_user(user).get("/budgets/").content.decode()
        # Ana: $4 of $8 today (50%); Platform: Ana $4 + Bo $6 = $10 of $40 (25%); Cy: $1 of $0.50, over today.
        assert re.search(r"Ana\s*(<br><a [^<]*>Edit</a> · <a [^<]*>Delete</a>)?</th>\s*<td>" + f"{now_spend:%Y-%m-%d}"
                         + r"</td>\s*<td class=\"num\">\$8.00", page)
        assert "50.0%" in page and "25.0%" in page and "200.0%" in page
        assert "Team Platform" in page and "Platform&#x27;s cap" in page and "$10.00" in page
        assert "Over budget" in page and f"{now_spend:%b} {now_spend.day}" in page
    assert cy_spend.cost == Decimal("1.00")
    assert "Add a budget" in as_user(admin_user).get("/budgets/").content.decode()
    assert "Add a budget" not in as_user(billing_user).get("/budgets/").content.decode()


def test_a_developer_sees_only_their_own_budget(march, now_spend):
    budget(developer=march["ana"], period="day", amount="8")
    budget(developer=march["bo"], amount="77")
    budget(scope="team", team=march["platform"], amount="500")
    page = as_user(march["ana"].user).get("/budgets/").content.decode()
    assert "$4.00" in page and "$8.00" in page and "50.0%" in page
    assert "$77.00" not in page and "$500.00" not in page and "Bo" not in page
    assert "Calls to LiteLLM" not in page and "Edit" not in page


def test_the_home_page_shows_a_developers_budget(march, now_spend):
    budget(developer=march["ana"], period="day", amount="8")
    budget(scope="default", period="week", amount="50")
    page = as_user(march["ana"].user).get("/").content.decode()
    assert 'id="your-budget"' in page
    assert f"Daily: $4.00 of $8.00 spent in {now_spend:%Y-%m-%d}, 50.0%." in page
    assert "$4.00 left." in page
    monday = now_spend - timedelta(days=now_spend.weekday())
    assert f"Weekly (the default): $4.00 of $50.00 spent in {period_label(monday, 'week')}, 8.0%." in page
    assert "No budget is set for you" not in page
    Budget.objects.filter(scope="default").delete()
    bo_page = as_user(march["bo"].user).get("/").content.decode()
    assert 'id="your-budget"' not in bo_page and "No budget is set for you" in bo_page


def test_an_admin_adds_and_changes_a_budget(march, admin_user):
    client = as_user(admin_user)
    response = client.post("/budgets/new/", {"scope": "team", "team": march["platform"].pk, "developer":
                                             march["ana"].pk, "period": "week", "amount": "250",
                                             "alert_shares": "100, 50,80"})
    assert response.status_code == 302
    saved = Budget.objects.get()
    assert (saved.scope, saved.team, saved.developer, saved.amount, saved.alert_shares, saved.created_by) == (
        "team", march["platform"], None, Decimal("250.00"), "50, 80, 100", admin_user)
    response = client.post(f"/budgets/{saved.pk}/", {"scope": "team", "team": march["platform"].pk,
                                                      "period": "week", "amount": "300", "alert_shares": "90"})
    assert response.status_code == 302
    saved.refresh_from_db()
    assert (saved.amount, saved.alert_shares) == (Decimal("300.00"), "90")


def test_the_form_refuses_a_second_budget_and_bad_figures(march, admin_user):
    client = as_user(admin_user)
    budget(developer=march["ana"], period="week")
    page = client.post("/budgets/new/", {"scope": "developer", "developer": march["ana"].pk, "period": "week",
                                         "amount": "10", "alert_shares": "50"}).content.decode()
    assert "There is already a budget for this developer, team or default and period" in page
    page = client.post("/budgets/new/", {"scope": "developer", "period": "week", "amount": "0",
                                         "alert_shares": "50, 2000"}).content.decode()
    assert "Choose the developer this budget is for." in page
    assert "The budget must be more than $0." in page
    assert "at most 1000" in page
    assert Budget.objects.count() == 1


def test_deleting_a_budget(march, admin_user):
    gone = budget(developer=march["ana"])
    assert as_user(admin_user).post(f"/budgets/{gone.pk}/delete/").status_code == 302
    assert not Budget.objects.exists()
