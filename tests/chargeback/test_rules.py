"""Chargeback rules: first match wins, exact or glob, any tag, the default, the developer's own
cost center as the fallback; the rule form's checks; the page as admins and billing see it."""
from django.test import Client
import pytest

from costdash.chargeback.models import ChargebackRule
from costdash.chargeback.rules import Rule, cost_center_of, rules_load


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def billing_client(billing_user):
    client = Client()
    client.force_login(billing_user)
    return client


DIMS = {"project": "/home/ana/src/payments", "api_key": "ana-key", "workspace": "wrkspc_A", "team": "platform",
        "tags": ["claude-code", "team-a"], "otel": {"cost_center": "CC-9", "team.id": "data"}}


def center(rules, dims=DIMS, fallback="CC-OWN"):
    return cost_center_of(dims, fallback, [Rule(*r) for r in rules])


def test_first_matching_rule_wins():
    rules = [("api_key", "", "other-key", "X"), ("tag", "", "team-a", "A"), ("project", "", "*/payments", "PAY")]
    assert center(rules) == "A"
    assert center(rules[2:] + rules[:2]) == "PAY"


@pytest.mark.parametrize("rule,matches", [
    (("project", "", "/home/ana/src/payments", "C"), True),
    (("project", "", "/home/ana/src/pay", "C"), False),  # exact means exact
    (("project", "", "*/pay*", "C"), True),
    (("api_key", "", "ana-*", "C"), True),
    (("workspace", "", "wrkspc_A", "C"), True),
    (("team", "", "Platform", "C"), False),  # case matters
    (("tag", "", "claude-code", "C"), True),  # any of the tags
    (("tag", "", "team-?", "C"), True),
    (("otel", "cost_center", "CC-9", "C"), True),
    (("otel", "team.id", "CC-9", "C"), False),  # another attribute
    (("otel", "department", "*", "C"), False),  # absent: nothing to match
])
def test_each_dimension_matches_exactly_or_by_glob(rule, matches):
    assert (center([rule]) == "C") is matches


def test_default_catches_the_rest_and_no_rule_falls_back_to_the_developers_cost_center():
    assert center([]) == "CC-OWN"
    assert center([("tag", "", "nope", "X")]) == "CC-OWN"
    assert center([("tag", "", "nope", "X"), ("everything", "", "", "SHARED")]) == "SHARED"


def test_a_rule_without_a_cost_center_keeps_the_developers_own_before_a_default():
    rules = [("project", "", "*/payments", ""), ("everything", "", "", "SHARED")]
    assert center(rules) == "CC-OWN"
    assert center(rules, {"project": "/x/web"}) == "SHARED"


@pytest.mark.django_db
def test_rules_load_in_position_order():
    ChargebackRule.objects.create(position=20, dimension="everything", cost_center="SHARED")
    ChargebackRule.objects.create(position=10, dimension="tag", pattern=" team-a ", cost_center="A")
    assert [r.cost_center for r in rules_load()] == ["A", "SHARED"]
    assert rules_load()[0].pattern == "team-a"


@pytest.mark.django_db
@pytest.mark.parametrize("data,field", [
    ({"position": 1, "dimension": "otel", "pattern": "x", "cost_center": "C"}, "attribute"),
    ({"position": 1, "dimension": "tag", "pattern": "", "cost_center": "C"}, "pattern"),
])
def test_rule_form_refuses_an_incomplete_rule(admin_client, data, field):
    response = admin_client.post("/chargeback/new/", data)
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not ChargebackRule.objects.exists()


@pytest.mark.django_db
def test_admin_adds_a_rule_and_billing_reads_it(admin_client, billing_client):
    response = admin_client.post("/chargeback/new/", {"position": 3, "dimension": "otel", "attribute": "team.id",
                                                      "pattern": "data", "cost_center": "CC-DATA"})
    assert response.status_code == 302
    rule = ChargebackRule.objects.get()
    assert (rule.dimension, rule.attribute, rule.pattern, rule.cost_center) == ("otel", "team.id", "data", "CC-DATA")
    page = billing_client.get("/chargeback/").content.decode()
    assert "CC-DATA" in page and "team.id" in page and "/chargeback/new/" not in page
    assert billing_client.post("/chargeback/new/", {"position": 1, "dimension": "everything"}).status_code == 403
