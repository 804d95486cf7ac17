"""The Rate limits page and its API: figures from the hand-worked day of test_rate_minutes, who may
read them (admins and billing) and who may enter the org's limits (admins)."""
import json

from django.test import Client
import pytest

from costdash.ratelimits.models import OrgRateLimit
from tests.ratelimits.test_rate_minutes import DAY, team_world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
RANGE = {"since": DAY.isoformat(), "until": DAY.isoformat()}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_shows_the_orgs_peak_minute_the_recommendation_and_the_429s(team_world, admin_user):  # noqa: F811
    OrgRateLimit.objects.create(itpm=500, rpm=3, note="Tier 1")
    response = logged_in(admin_user).get("/rate-limits/", RANGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="org-peak-tpm">1,150<' in page  # 115 x 10 requests at 09:05
    assert 'id="org-peak-rpm">10<' in page
    assert 'id="org-recommended">600,000–900,000 TPM<' in page  # 3 users, band 1-5
    assert 'id="org-429">2<' in page
    assert "<strong>2</strong> minutes would have been throttled by the limits entered (Tier 1)" in page
    assert 'data-chart="rate-chart-itpm"' in page and 'id="rate-chart-itpm" type="application/json"' in page
    assert 'name="itpm"' in page  # an admin gets the limits form
    assert "style=" not in page  # CSP: no inline styles


def test_a_teams_charts_and_billing_reads_without_the_form(team_world, billing_user):  # noqa: F811
    team = team_world["beta"]
    response = logged_in(billing_user).get("/rate-limits/", RANGE | {"scope": f"team-{team.pk}"})
    assert response.status_code == 200
    assert response.context["chosen"].name == "Beta"
    assert response.context["chosen"].overall.metrics["rpm"].peak == 7
    assert b'name="itpm"' not in response.content


def test_developers_may_not_open_it(team_world, developer_user):  # noqa: F811
    assert logged_in(developer_user).get("/rate-limits/").status_code == 403
    assert logged_in(developer_user).get("/api/v1/rate-limits/").status_code == 403


def test_an_admin_enters_the_limits_and_billing_may_not(admin_user, billing_user):
    response = logged_in(admin_user).post("/rate-limits/limits/", {"itpm": "400000", "otpm": "", "rpm": "4000"})
    assert response.status_code == 302
    limits = OrgRateLimit.get()
    assert (limits.itpm, limits.otpm, limits.rpm, limits.updated_by) == (400000, None, 4000, admin_user)
    assert logged_in(billing_user).post("/rate-limits/limits/", {"itpm": "1"}).status_code == 403
    assert OrgRateLimit.objects.count() == 1


def test_the_api_gives_the_figures_as_exact_strings(team_world, billing_user):  # noqa: F811
    OrgRateLimit.objects.create(itpm=500, rpm=3)
    body = logged_in(billing_user).get("/api/v1/rate-limits/", RANGE).json()
    org = body["org"]
    assert (org["users"], org["recommendation"]["band"], org["recommendation"]["tpm_low"]) == (3, "1-5 users", 600000)
    assert org["at_double"]["users"] == 6
    [day] = org["days"]
    assert day["day"] == "2026-11-10"
    assert day["metrics"]["rpm"] == {"p50": "3", "p95": "8.8", "p99": "9.76", "peak": 10,
                                     "peak_minute": "2026-11-10T09:05:00Z"}
    assert day["metrics"]["itpm"]["p99"] == "1073.6"
    assert (day["throttled_minutes"], day["minutes_over"], day["rate_limited"]) == (2, {"itpm": 1, "rpm": 2}, 2)
    rpm = next(h for h in org["headroom"] if h["figure"] == "rpm")
    assert (rpm["limit"], rpm["left"], rpm["share_left"], rpm["unit"]) == ("15", "5", "0.333333", "days")
    itpm = next(h for h in body["limit_headroom"] if h["figure"] == "itpm")
    assert (itpm["left"], itpm["share_left"], itpm["over"]) == ("-600", "-1.2", 1)
    assert [t["name"] for t in body["teams"]] == ["Alpha", "Beta"]


def test_the_api_refuses_a_bad_range(billing_user):
    response = logged_in(billing_user).get("/api/v1/rate-limits/", {"since": "2026-11-10", "until": "2026-11-01"})
    assert response.status_code == 400


def test_limits_through_the_api_admins_change_billing_reads(admin_user, billing_user):
    body = json.dumps({"itpm": 2000000, "otpm": 400000, "rpm": None, "note": "Tier 4"})
    assert logged_in(billing_user).put("/api/v1/rate-limits/limits/", body, content_type="application/json"
                                       ).status_code == 403
    response = logged_in(admin_user).put("/api/v1/rate-limits/limits/", body, content_type="application/json")
    assert response.status_code == 200
    got = logged_in(billing_user).get("/api/v1/rate-limits/limits/").json()
    assert (got["itpm"], got["otpm"], got["rpm"], got["note"]) == (2000000, 400000, None, "Tier 4")
