"""The Limits page: who may see and change limits, what the page shows, its empty states."""
from decimal import Decimal
import json
import re

from django.utils import timezone
import pytest

from costdash.accounts.models import OrgSettings
from costdash.lib.dates import reporting_day
from costdash.limits.models import SpendLimit
from tests.factories import DailyCostFactory
from tests.limits.conftest import org_limit, workspace_limit

pytestmark = pytest.mark.django_db
CREATE = {"scope": "org", "workspace": "", "amount": "500", "warning_share": "0.8", "note": "set in a test"}


def routes(pk: int) -> list[tuple[str, str, dict]]:
    edit = {**CREATE, "amount": "1"}
    return [("get", "/limits/", {}), ("get", "/limits/new/", {}), ("get", f"/limits/{pk}/", {}),
            ("get", f"/limits/{pk}/delete/", {}), ("post", "/limits/new/", CREATE), ("post", f"/limits/{pk}/", edit),
            ("post", f"/limits/{pk}/delete/", {})]


def unchanged(limit: SpendLimit) -> bool:
    return list(SpendLimit.objects.values_list("pk", "amount")) == [(limit.pk, limit.amount)]


def test_anonymous_is_sent_to_log_in(client):
    limit = workspace_limit("wrkspc_A", "100")
    for method, url, data in routes(limit.pk):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and response.url.startswith("/login/"), url
    assert unchanged(limit)


@pytest.mark.parametrize("persona", ["developer_user", "outsider_user"])
def test_developers_are_refused_limits_are_org_money(client, persona, request):
    limit = workspace_limit("wrkspc_A", "100")
    client.force_login(request.getfixturevalue(persona))
    for method, url, data in routes(limit.pk):
        assert getattr(client, method)(url, data).status_code == 403, (method, url)
    assert unchanged(limit)
    assert 'href="/limits/"' not in client.get("/imports/").content.decode()


def test_billing_reads_but_cannot_change(client, billing_user):
    limit = workspace_limit("wrkspc_A", "100")
    client.force_login(billing_user)
    for method, url, data in routes(limit.pk):
        expected = 200 if url == "/limits/" and method == "get" else 403
        assert getattr(client, method)(url, data).status_code == expected, (method, url)
    assert unchanged(limit)
    html = client.get("/limits/").content.decode()
    assert "Workspace wrkspc_A limit" in html and 'href="/limits/"' in html
    assert "Add a limit" not in html and "/limits/%d/" % limit.pk not in html


def test_admin_reads_adds_changes_and_deletes(client, admin_user):
    limit = workspace_limit("wrkspc_A", "100")
    client.force_login(admin_user)
    for method, url, _ in routes(limit.pk)[:4]:
        assert getattr(client, method)(url).status_code == 200, url
    response = client.post("/limits/new/", CREATE)
    assert response.status_code == 302 and response.url == "/limits/"
    org = SpendLimit.objects.get(scope="org")
    assert (org.amount, org.created_by, org.note) == (Decimal("500.00"), admin_user, "set in a test")
    assert client.post(f"/limits/{org.pk}/", {**CREATE, "amount": "750"}).status_code == 302
    assert SpendLimit.objects.get(pk=org.pk).amount == Decimal("750.00")
    assert client.post(f"/limits/{limit.pk}/delete/").status_code == 302
    assert list(SpendLimit.objects.values_list("pk", flat=True)) == [org.pk]


def test_admin_form_errors_are_shown(client, admin_user):
    org_limit("100")
    client.force_login(admin_user)
    response = client.post("/limits/new/", {**CREATE, "warning_share": "1.2"})
    html = response.content.decode()
    assert response.status_code == 200 and SpendLimit.objects.count() == 1
    assert "There is already an org-wide limit: edit it instead of adding a second one." in html
    assert "The warning share must be between 0 and 1, e.g. 0.8 to warn at 80%." in html


def test_empty_state_admin_gets_the_form(client, admin_user):
    client.force_login(admin_user)
    html = client.get("/limits/").content.decode()
    assert "No spend limit yet" in html and 'action="/limits/new/"' in html and 'name="amount"' in html
    assert "data-chart" not in html


def test_empty_state_billing_is_told_to_ask_an_admin(client, billing_user):
    client.force_login(billing_user)
    html = client.get("/limits/").content.decode()
    assert "Ask an admin" in html and 'name="amount"' not in html


def test_a_past_month_shows_its_final_figures(client, billing_user, org_usage):
    org_limit("120")
    client.force_login(billing_user)
    html = client.get("/limits/?month=2026-02").content.decode()
    # February: $142 against $120 (see test_limit_status.py): over since Feb 25, by $22.
    assert "February 2026" in html and "final" in html
    assert "$142.00" in html and "$120.00" in html and "Feb 25" in html
    assert "✕ Over the limit" in html and "by $22.00" in html
    assert "past month: final spend, no projection" in html
    assert 'value="2026-02"' in html  # the month stays in the form (and the URL)
    assert "118.3% of the limit used" in html  # 142 / 120 = 1.18333
    assert "No known price for 5 requests this month" in html  # unpriced, flagged rather than counted as $0


def test_this_month_with_its_projection_and_the_chart(client, admin_user):
    today = reporting_day(timezone.now(), OrgSettings.get().time_zone)
    DailyCostFactory(day=today, cost=Decimal("50.00"))
    org_limit("40")
    client.force_login(admin_user)
    html = client.get("/limits/").content.decode()
    # Today's $50 passes $40 today; with no earlier spend the burn rate is $0 and the projection $50.
    assert "$50.00" in html and "✕ Over the limit" in html and "by $10.00" in html
    assert f"{today:%b} {today.day}</span>" in html  # the day it was reached
    assert "$0.00/day" in html
    match = re.search(r'<script id="limit-chart-(\d+)" type="application/json">(.*?)</script>', html, re.S)
    figure = json.loads(match.group(2))
    assert figure["data"][0]["y"][-1] == 50.0 and figure["layout"]["shapes"][0]["y0"] == 40.0
    assert 'data-chart="limit-chart-%s"' % match.group(1) in html and "vendor/plotly.min.js" in html


def test_workspace_figures_say_whether_billed_or_priced(client, admin_user, workspace_reports):
    workspace_limit("wrkspc_A", "100")
    workspace_limit("wrkspc_B", "100")
    workspace_limit("wrkspc_none", "100")
    client.force_login(admin_user)
    html = client.get("/limits/?month=2026-03").content.decode()
    assert "Billed by Anthropic for 7 days; priced by us from the usage report for 3 days" in html
    assert "What Anthropic billed for workspace <code>wrkspc_B</code>" in html
    assert "Nothing imported for workspace <code>wrkspc_none</code>" in html


@pytest.mark.parametrize("month", ["2999-01", "garbage"])
def test_a_bad_month_falls_back_to_this_month_with_an_error(client, billing_user, month):
    org_limit("100")
    client.force_login(billing_user)
    response = client.get(f"/limits/?month={month}")
    today = reporting_day(timezone.now(), OrgSettings.get().time_zone)
    html = response.content.decode()
    assert response.status_code == 200 and "That month could not be shown" in html
    assert f"Showing {today:%B %Y} instead" in html


def test_nav_link_for_admin_and_billing(client, admin_user):
    client.force_login(admin_user)
    html = client.get("/limits/").content.decode()
    assert '<a href="/limits/" aria-current="page">Limits</a>' in html
