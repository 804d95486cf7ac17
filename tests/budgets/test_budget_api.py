"""/api/v1/budgets/: everyone reads what they may (a developer their own, and the default as it applies
to them), admins create, change and delete; /api/v1/budgets/mine/ is the caller's own standing."""
from datetime import timedelta
from decimal import Decimal

from django.test import Client
import pytest

from costdash.budgets.models import Budget
from costdash.limits.selectors import org_today
from tests.budgets.conftest import budget
from tests.factories import DailyCostFactory

pytestmark = pytest.mark.django_db


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def spend(march):
    """Ana $4 and Bo $6 on the org's today; Ana $70 seven days ago (a burn rate of $10 a day)."""
    today = org_today()
    DailyCostFactory(developer=march["ana"], day=today, cost=Decimal("4.00"))
    DailyCostFactory(developer=march["bo"], day=today, cost=Decimal("6.00"))
    DailyCostFactory(developer=march["ana"], day=today - timedelta(days=7), cost=Decimal("70.00"))
    return today


def test_the_list_gives_each_budgets_standing(march, spend, billing_user):
    daily = budget(developer=march["ana"], period="day", amount="3", shares="50")
    default = budget(scope="default", period="day", amount="9")
    body = as_user(billing_user).get("/api/v1/budgets/").json()
    assert body["count"] == 2
    by_id = {row["id"]: row for row in body["results"]}
    ana = by_id[daily.pk]
    assert (ana["scope"], ana["developer"], ana["period"], ana["amount"], ana["alert_shares"]) == (
        "developer", march["ana"].pk, "day", "3.00", "50")
    standing, = ana["standing"]
    assert standing == {
        "developer": {"id": march["ana"].pk, "name": "Ana"}, "period_start": f"{spend}", "period_end": f"{spend}",
        "as_of": f"{spend}", "spend": "4.00", "share_used": "1.333333", "burn_rate": "10.00", "projected": "4.00",
        "reach_day": f"{spend}", "reach_is_projected": False, "status": "over",
    }
    # The default covers Bo ($6 of $9: 0.666667) and Cy ($0), not Ana (she has a daily budget of her own).
    assert [(s["developer"]["name"], s["spend"], s["share_used"]) for s in by_id[default.pk]["standing"]] == [
        ("Bo", "6.00", "0.666667"), ("Cy", "0.00", "0")]
    assert ana["enforcement"] is None


def test_a_developer_reads_only_their_own(march, spend):
    own = budget(developer=march["ana"], period="week", amount="50")
    default = budget(scope="default", period="day", amount="9")
    bos = budget(developer=march["bo"], amount="70")
    team = budget(scope="team", team=march["platform"], amount="700")
    client = as_user(march["ana"].user)
    body = client.get("/api/v1/budgets/").json()
    assert sorted(row["id"] for row in body["results"]) == sorted([own.pk, default.pk])
    default_row = next(row for row in body["results"] if row["id"] == default.pk)
    assert [s["developer"]["name"] for s in default_row["standing"]] == ["Ana"]  # not Bo's or Cy's
    assert client.get(f"/api/v1/budgets/{bos.pk}/").status_code == 404
    assert client.get(f"/api/v1/budgets/{team.pk}/").status_code == 404
    mine = client.get("/api/v1/budgets/mine/").json()
    assert [(m["budget"]["id"], m["budget"]["period"], m["budget"]["amount"], m["spend"]) for m in mine] == [
        (default.pk, "day", "9.00", "4.00"), (own.pk, "week", "50.00", "4.00")]


def test_only_admins_write(march, billing_user, admin_user):
    new = {"scope": "team", "team": march["platform"].pk, "period": "week", "amount": "120.5",
           "alert_shares": "80,50"}
    for user in (billing_user, march["ana"].user):
        assert as_user(user).post("/api/v1/budgets/", new, content_type="application/json").status_code == 403
    admin = as_user(admin_user)
    created = admin.post("/api/v1/budgets/", new, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert (body["scope"], body["team"], body["developer"], body["amount"], body["alert_shares"]) == (
        "team", march["platform"].pk, None, "120.50", "50, 80")
    again = admin.post("/api/v1/budgets/", new, content_type="application/json")
    assert again.status_code == 400 and "already a budget" in again.json()["non_field_errors"][0]
    url = f"/api/v1/budgets/{body['id']}/"
    assert as_user(billing_user).patch(url, {"amount": "1"}, content_type="application/json").status_code == 403
    changed = admin.patch(url, {"amount": "200", "period": "month"}, content_type="application/json")
    assert changed.status_code == 200 and (changed.json()["amount"], changed.json()["period"]) == ("200.00", "month")
    assert admin.patch(url, {"amount": "0"}, content_type="application/json").status_code == 400
    assert admin.patch(url, {"scope": "developer"}, content_type="application/json").json() == {
        "developer": ["Name the developer this budget is for."]}
    assert as_user(billing_user).delete(url).status_code == 403
    assert admin.delete(url).status_code == 204
    assert not Budget.objects.exists()


def test_mine_is_empty_without_a_linked_developer(admin_user):
    assert as_user(admin_user).get("/api/v1/budgets/mine/").json() == []
