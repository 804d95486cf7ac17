"""Drill-down keeps its context (issue 13): every dashboard page has one default range, and a link
from one page to another carries the filters in force, so a figure equals the figure on the page
its link opens, to the cent."""
from datetime import timedelta
from decimal import Decimal as D
import html as html_lib
import re

from django.urls import reverse
import pytest

from costdash.dashboard.filters import DashboardFilterForm, org_today
from tests.factories import DailyCostFactory, DeveloperFactory, TeamFactory


@pytest.fixture
def sam(db):
    """Sam spends this month and, more, just before it (inside the last 30 days, outside the month)."""
    today = org_today()
    month_start = today.replace(day=1)
    team = TeamFactory(name="Platform")
    sam = DeveloperFactory(email="sam@example.com", name="Sam Patel", team=team)
    DailyCostFactory(developer=sam, day=today, model="claude-sonnet-4-6", cost=D("72.31"), requests=12)
    DailyCostFactory(developer=sam, day=today, model="claude-opus-4-6", cost=D("10.05"), requests=2)
    DailyCostFactory(developer=sam, day=month_start - timedelta(days=5), model="claude-sonnet-4-6",
                     cost=D("236.73"), requests=30)
    return sam


def page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def link_and_figure(html: str, name: str) -> tuple[str, str]:
    """The link on ``name``'s row of a table and the dollar figure of its first money cell."""
    row = re.search(rf'<a href="(?P<href>[^"]+)">{name}</a>.*?(?P<spend>\$[\d,]+\.\d\d)', html, re.S)
    assert row, f"no row for {name}"
    return html_lib.unescape(row["href"]), row["spend"]


def developer_page_spend(html: str) -> str:
    start = html.index('id="kpi-spend"')
    return re.search(r'class="stat__value">(\$[\d,]+\.\d\d)<', html[start:])[1]


def test_every_page_has_the_same_default_range(admin_user, sam):
    today = org_today()
    form = DashboardFilterForm({}, user=admin_user, today=today)
    assert (form.scope().since, form.scope().until) == (today.replace(day=1), today)


@pytest.mark.parametrize("params", [
    "",  # the default range on both pages
    "?since={since}&until={until}",
    "?since={since}&until={until}&model=claude-sonnet-4-6",
])
@pytest.mark.parametrize("from_page", ["dashboard:overview", "dashboard:developers"])
def test_a_developers_figure_equals_their_page_total(client, admin_user, sam, params, from_page):
    today = org_today()
    query = params.format(since=(today - timedelta(days=40)).isoformat(), until=today.isoformat())
    listing = page(client, admin_user, reverse(from_page) + query)
    href, spend = link_and_figure(listing, "Sam Patel")
    assert href.startswith(reverse("dashboard:developer", args=[sam.pk]))
    assert developer_page_spend(page(client, admin_user, href)) == spend
    if not params:
        assert spend == "$82.36"  # the month so far on both pages, not 30 days on one of them


def test_the_cache_table_links_developers_with_the_range_and_model(client, admin_user, sam):
    today = org_today()
    since = (today - timedelta(days=40)).isoformat()
    html = page(client, admin_user, f"{reverse('dashboard:cache')}?since={since}&until={today}&team={sam.team_id}")
    href = f'{reverse("dashboard:developer", args=[sam.pk])}?since={since}&amp;until={today}'
    assert f'<a href="{href}">Sam Patel</a>' in html


def test_the_nav_keeps_the_filters_on_dashboard_pages_only(client, admin_user, sam):
    today = org_today()
    query = f"since={today - timedelta(days=3)}&until={today}&team={sam.team_id}"
    html = page(client, admin_user, f"{reverse('dashboard:cache')}?{query}&target=50")
    for name in ("dashboard:overview", "dashboard:developers", "dashboard:cache", "dashboard:models"):
        assert f'href="{reverse(name)}?{query.replace("&", "&amp;")}"' in html  # not the page's own target
    alerts = page(client, admin_user, f"{reverse('alerts:list')}?{query}")
    assert f'href="{reverse("dashboard:overview")}"' in alerts
