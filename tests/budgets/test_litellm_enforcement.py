"""Enforcing budgets through LiteLLM, against a local LiteLLM stand-in (tests/budgets/fake_litellm.py):
the requests sent, the answers recorded, taking a budget off again, the errors shown, and the master
key kept secret. Off unless COSTDASH_LITELLM_ENFORCEMENT is on."""
from decimal import Decimal
import logging

from django.test import Client
import pytest

from costdash.budgets.enforcement import EnforcementOff, budget_push, budget_release
from costdash.budgets.models import Budget, BudgetPush, LiteLLMConnection
from costdash.budgets.services import litellm_connection_save
from tests.budgets.conftest import budget
from tests.budgets.fake_litellm import FakeLiteLLM

pytestmark = pytest.mark.django_db
KEY = "sk-litellm-master-TESTSECRET-0123456789abcdef-Zq9w"


@pytest.fixture
def proxy(settings):
    settings.COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK = True  # the stand-in is plain http on 127.0.0.1
    settings.COSTDASH_LITELLM_ENFORCEMENT = True
    fake = FakeLiteLLM(KEY).start()
    yield fake
    fake.stop()


@pytest.fixture
def connected(proxy, admin_user):
    litellm_connection_save(proxy.url, KEY, admin_user)
    return proxy


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_developers_budget_is_set_as_their_litellm_user_budget_and_taken_off(connected, march, admin_user):
    monthly = budget(developer=march["ana"], amount="150.25")
    push = budget_push(monthly, admin_user)
    seen = connected.seen[-1]
    assert (seen.path, seen.headers["authorization"], seen.headers["content-type"]) == (
        "/user/update", f"Bearer {KEY}", "application/json")
    # No LiteLLM identity is known for Ana: her e-mail is her LiteLLM user_id.
    assert seen.body == {"user_id": "ana.b@example.com", "max_budget": 150.25, "budget_duration": "1mo"}
    assert (push.ok, push.status_code, push.endpoint, push.target, push.error) == (
        True, 200, "/user/update", "ana.b@example.com", "")
    assert connected.users["ana.b@example.com"]["max_budget"] == 150.25
    assert '"user_id": "ana.b@example.com"' in push.response

    page = as_user(admin_user).get("/budgets/").content.decode()
    assert "Enforced by LiteLLM" in page

    taken_off = budget_release(monthly, admin_user)
    assert connected.seen[-1].body == {"user_id": "ana.b@example.com", "max_budget": None}
    assert taken_off.ok and connected.users["ana.b@example.com"]["max_budget"] is None
    assert "Taken off in LiteLLM" in as_user(admin_user).get("/budgets/").content.decode()
    assert list(BudgetPush.objects.order_by("pk").values_list("action", "ok", "amount", "period")) == [
        ("push", True, Decimal("150.25"), "month"), ("remove", True, None, "month")]


def test_the_user_id_is_the_budgets_own_else_the_litellm_identity(connected, march, admin_user):
    march["ana"].identities.create(source="litellm", external_id="ana-litellm")
    weekly = budget(developer=march["ana"], period="week", amount="40")
    budget_push(weekly, admin_user)
    assert connected.seen[-1].body == {"user_id": "ana-litellm", "max_budget": 40.0, "budget_duration": "7d"}
    weekly.litellm_id = "u-123"
    weekly.period = "day"
    weekly.save()
    budget_push(weekly, admin_user)
    assert connected.seen[-1].body == {"user_id": "u-123", "max_budget": 40.0, "budget_duration": "1d"}


def test_a_team_budget_goes_to_team_update(connected, march, admin_user):
    connected.add_team("team-platform")
    team = budget(scope="team", team=march["platform"], period="week", amount="500")
    refused = budget_push(team, admin_user)
    assert not refused.ok and "Name the LiteLLM team_id" in refused.error
    assert connected.seen == []  # nothing was sent
    team.litellm_id = "team-platform"
    team.save()
    push = budget_push(team, admin_user)
    assert connected.seen[-1].path == "/team/update"
    assert connected.seen[-1].body == {"team_id": "team-platform", "max_budget": 500.0, "budget_duration": "7d"}
    assert push.ok and connected.teams["team-platform"]["max_budget"] == 500.0
    budget_release(team, admin_user)
    assert connected.teams["team-platform"]["max_budget"] is None


def test_litellms_error_is_recorded_and_shown(connected, march, admin_user):
    team = budget(scope="team", team=march["platform"], amount="500", litellm_id="no-such-team")
    push = budget_push(team, admin_user)
    assert (push.ok, push.status_code) == (False, 404)
    assert push.error == "LiteLLM HTTP 404: Team not found, passed team_id=no-such-team"
    page = as_user(admin_user).get("/budgets/").content.decode()
    assert "LiteLLM error: LiteLLM HTTP 404: Team not found, passed team_id=no-such-team" in page


def test_editing_an_enforced_budget_pushes_it_again_and_deleting_takes_it_off(connected, march, admin_user):
    monthly = budget(developer=march["ana"], amount="100")
    budget_push(monthly, admin_user)
    client = as_user(admin_user)
    client.post(f"/budgets/{monthly.pk}/", {"scope": "developer", "developer": march["ana"].pk, "period": "week",
                                            "amount": "60", "alert_shares": "50"})
    assert connected.seen[-1].body == {"user_id": "ana.b@example.com", "max_budget": 60.0, "budget_duration": "7d"}
    assert "Enforced by LiteLLM" in client.get("/budgets/").content.decode()
    client.post(f"/budgets/{monthly.pk}/delete/")
    assert connected.seen[-1].body == {"user_id": "ana.b@example.com", "max_budget": None}
    assert not Budget.objects.exists()
    assert BudgetPush.objects.filter(budget=None).count() == 3  # the record outlives the budget


def test_the_pages_buttons_push_and_take_off(connected, march, admin_user):
    monthly = budget(developer=march["ana"], amount="100")
    client = as_user(admin_user)
    assert client.post(f"/budgets/{monthly.pk}/enforce/").status_code == 302
    assert connected.users["ana.b@example.com"]["max_budget"] == 100.0
    assert client.post(f"/budgets/{monthly.pk}/release/").status_code == 302
    assert connected.users["ana.b@example.com"]["max_budget"] is None
    default = budget(scope="default", amount="10")
    client.post(f"/budgets/{default.pk}/enforce/")
    assert len(connected.seen) == 2  # a default budget maps to no LiteLLM user: nothing sent


def test_a_wrong_master_key_is_an_error_that_never_shows_a_key(connected, march, admin_user, caplog):
    wrong = "sk-wrong-key-THAT-MUST-NOT-LEAK-987654321"
    litellm_connection_save(connected.url, wrong, admin_user)
    monthly = budget(developer=march["ana"], amount="100")
    with caplog.at_level(logging.DEBUG):
        push = budget_push(monthly, admin_user)
    assert (push.ok, push.status_code) == (False, 401)
    assert push.error.startswith("LiteLLM HTTP 401: Authentication Error, Invalid proxy server token passed.")
    assert wrong in connected.seen[-1].headers["authorization"]  # it was sent, and echoed back...
    stored = [push.error, push.response, str(push.request)]
    page = as_user(admin_user).get("/budgets/").content.decode()
    form = as_user(admin_user).get("/budgets/litellm/").content.decode()
    for text in (*stored, page, form, caplog.text, repr(LiteLLMConnection.objects.get())):
        assert wrong not in text and KEY not in text  # ...but costdash never keeps or shows it
    assert "[master key]" in push.error
    assert wrong not in LiteLLMConnection.objects.get().key_ciphertext  # stored encrypted
    assert LiteLLMConnection.objects.get().master_key() == wrong


def test_enforcement_is_off_by_default(proxy, settings, march, admin_user):
    settings.COSTDASH_LITELLM_ENFORCEMENT = False
    LiteLLMConnection.objects.create(base_url=proxy.url)
    monthly = budget(developer=march["ana"], amount="100")
    with pytest.raises(EnforcementOff):
        budget_push(monthly, admin_user)
    client = as_user(admin_user)
    assert client.post(f"/budgets/{monthly.pk}/enforce/").status_code == 302
    assert "Enforce with LiteLLM" not in client.get("/budgets/").content.decode()
    assert 'id="enforcement-off"' in client.get("/budgets/litellm/").content.decode()
    assert proxy.seen == [] and not BudgetPush.objects.exists()


def test_the_key_goes_only_to_https_or_an_allowed_loopback(settings, admin_user):
    settings.COSTDASH_LITELLM_ENFORCEMENT = True
    settings.COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK = False
    client = as_user(admin_user)
    page = client.post("/budgets/litellm/", {"base_url": "http://litellm.internal:4000", "master_key": KEY})
    assert "Use an https address" in page.content.decode()
    assert client.post("/budgets/litellm/", {"base_url": "https://litellm.example.com", "master_key": KEY}
                       ).status_code == 302
    conn = LiteLLMConnection.objects.get()
    assert (conn.base_url, conn.key_hint, conn.master_key()) == ("https://litellm.example.com", "…Zq9w", KEY)
    # A new address without a key forgets the old key: it is never sent somewhere it was not entered for.
    client.post("/budgets/litellm/", {"base_url": "https://other.example.com", "master_key": ""})
    conn = LiteLLMConnection.objects.get()
    assert (conn.base_url, conn.key_ciphertext, conn.key_hint) == ("https://other.example.com", "", "")
    again = client.post("/budgets/litellm/", {"base_url": "https://other.example.com", "master_key": ""})
    assert "Enter the proxy&#x27;s master key." in again.content.decode()
