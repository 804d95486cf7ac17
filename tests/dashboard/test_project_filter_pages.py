"""The project filter on the Developers list (and the API's Developers table), from real transcript
imports in two projects: each project's figures are its share of the unfiltered ones, to the cent.

Prices as in test_projects_page: a "cached" request (50,000 input, 10,000 output, 100,000 cache reads)
is $0.33 on claude-sonnet-4-6 and $0.55 on claude-opus-4-6; a "cold" one (no cache reads) $0.30 on sonnet.

  Ana  Apr 6  shop: 2 cached sonnet (session a1)  $0.66   api: 1 cached sonnet (a2)  $0.33
       Apr 7  api: 1 cached sonnet (a2)  $0.33
  Bo   Apr 6  shop: 1 cached opus (b1)  $0.55
       Apr 8  api: 1 cold sonnet (b2)  $0.30

  unfiltered  Ana $1.32, 2 active days, 2 sessions   Bo $0.85, 2 active days, 2 sessions
  shop        Ana $0.66, 1 day, 1 session            Bo $0.55, 1 day, main model opus    Projects: $1.21
  api         Ana $0.66, 2 days ($0.33 each)         Bo $0.30, 1 day, hit rate 0         Projects: $0.96
"""
from decimal import Decimal

from django.urls import reverse
import pytest
from rest_framework.test import APIClient

from costdash.accounts.models import Developer
from costdash.api.services import api_token_create
from costdash.ingest.services import usage_import
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.dashboard.test_projects_page import request
from tests.factories import DeveloperFactory, UserFactory
from tests.ingest.transcripts import write_jsonl

RANGE = {"since": "2026-04-01", "until": "2026-04-30"}
SHOP, API = "/code/shop", "/code/api"  # below a code root: /code/shop/web is in /code/shop


@pytest.fixture
def usage(db, tmp_path, developer_user):
    DeveloperFactory(email="bo@example.com", name="Bo", user=UserFactory(username="bo"))
    ana = [
        request("a1", "2026-04-06T09:00:00Z", "a1", SHOP),
        request("a2", "2026-04-06T09:10:00Z", "a1", SHOP + "/web"),
        request("a3", "2026-04-06T13:00:00Z", "a2", API),
        request("a4", "2026-04-07T10:00:00Z", "a2", API),
    ]
    bo = [
        request("b1", "2026-04-06T11:00:00Z", "b1", SHOP, model="claude-opus-4-6"),
        request("b2", "2026-04-08T11:00:00Z", "b2", API, cold=True),
    ]
    for email, lines in (("ana@example.com", ana), ("bo@example.com", bo)):
        path = write_jsonl(tmp_path / email / "s.jsonl", lines)
        assert usage_import([path], developer_email=email).status == "done"
    daily_cost_recompute_dirty()
    return {dev.name: dev for dev in Developer.objects.all()}


def developers(client, user, **params) -> tuple[dict[str, dict], str]:
    client.force_login(user)
    response = client.get(reverse("dashboard:developers"), {**RANGE, **params})
    assert response.status_code == 200
    return {row["developer"]: row for row in response.context["table"]["developers"]}, response.content.decode()


def project_spend(client, name: str) -> Decimal:
    (line,) = client.get(reverse("dashboard:projects"), {**RANGE, "project": name}).context["table"]["projects"]
    return line["spend"]


def test_developers_by_project_add_up_to_the_unfiltered_list_and_match_projects(client, usage, admin_user):
    everyone, html = developers(client, admin_user)
    assert "does not apply on this page" not in html
    assert {name: (row["spend"], row["active_days"], row["sessions"]) for name, row in everyone.items()} == {
        "Ana": (Decimal("1.32"), 2, 2), "Bo": (Decimal("0.85"), 2, 2)}
    shop, shop_html = developers(client, admin_user, project=SHOP)
    api, _ = developers(client, admin_user, project=API)
    assert {name: row["spend"] for name, row in shop.items()} == {"Ana": Decimal("0.66"), "Bo": Decimal("0.55")}
    assert {name: row["spend"] for name, row in api.items()} == {"Ana": Decimal("0.66"), "Bo": Decimal("0.30")}
    for name, row in everyone.items():  # each developer's projects sum back to their figure, to the cent
        assert shop[name]["spend"] + api[name]["spend"] == row["spend"]
    for name, rows in ((SHOP, shop), (API, api)):  # and each project's developers to the Projects page's figure
        assert sum(row["spend"] for row in rows.values()) == project_spend(client, name)
    # Per developer-day figures are over the days with usage in the project, at their spend in it.
    assert (api["Ana"]["active_days"], api["Ana"]["p90"], api["Ana"]["worst_day_cost"]) == (
        2, Decimal("0.33"), Decimal("0.33"))
    assert (shop["Ana"]["active_days"], shop["Ana"]["sessions"], api["Ana"]["sessions"]) == (1, 1, 1)
    assert (shop["Bo"]["main_model"], api["Bo"]["main_model"]) == ("claude-opus-4-6", "claude-sonnet-4-6")
    assert (api["Bo"]["cache_hit_rate"], shop["Bo"]["cache_hit_rate"]) == (0, Decimal(2) / Decimal(3))
    assert "does not apply on this page" not in shop_html and "days with usage in this project" in shop_html


def test_developer_sees_their_own_share_and_the_api_narrows_alike(client, usage, developer_user, admin_user):
    own, own_html = developers(client, developer_user, project=API)
    assert "Some filters could not" not in own_html, own_html[own_html.find("Some filters"):][:600]
    assert {name: row["spend"] for name, row in own.items()} == {"Ana": Decimal("0.66")}
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=admin_user, name='tests')[1]}")
    body = api.get("/api/v1/developers/", {**RANGE, "project": SHOP}).json()
    assert {row["developer"]: row["spend"] for row in body["results"]} == {"Ana": "0.66", "Bo": "0.55"}


def test_a_developers_figure_under_a_project_is_the_same_on_their_page(client, usage, admin_user):
    """Drill-down keeps the project: the filtered list's figure equals the page its link opens."""
    listed, _ = developers(client, admin_user, project=SHOP)
    for name, row in listed.items():
        dev = usage[name]
        page = client.get(reverse("dashboard:developer", args=[dev.pk]), {**RANGE, "project": SHOP})
        assert page.context["detail"]["summary"]["spend"] == row["spend"]
    ana = reverse("dashboard:developer", args=[usage["Ana"].pk])
    whole, shop, api = (client.get(ana, {**RANGE, **extra}) for extra in ({}, {"project": SHOP}, {"project": API}))
    assert shop.context["detail"]["summary"]["spend"] + api.context["detail"]["summary"]["spend"] == (
        whole.context["detail"]["summary"]["spend"])


def test_the_cache_page_under_a_project_is_that_projects(client, usage, admin_user):
    listed, _ = developers(client, admin_user, project=SHOP)
    page = client.get(reverse("dashboard:cache"), {**RANGE, "project": SHOP})
    assert "does not apply on this page" not in page.content.decode()
    rates = {dev["developer"]: dev["hit_rate"] for dev in page.context["overview"]["developers"]}
    assert rates == {name: row["cache_hit_rate"] for name, row in listed.items()}


def test_the_overview_under_a_project_is_that_projects(client, usage, admin_user):
    client.force_login(admin_user)
    whole, shop, api = (client.get(reverse("dashboard:overview"), {**RANGE, **extra}).context["data"]
                        for extra in ({}, {"project": SHOP}, {"project": API}))
    assert shop["summary"]["spend"] == project_spend(client, SHOP)
    assert shop["summary"]["spend"] + api["summary"]["spend"] == whole["summary"]["spend"]
    assert shop["summary"]["requests"] + api["summary"]["requests"] == whole["summary"]["requests"]
    assert sum(row["spend"] for row in shop["top_spenders"]) == shop["summary"]["spend"]
