"""Every dashboard table downloads as CSV with the filters in force (issue 13), formula-safe as the
reports' CSV files are."""
import csv
from datetime import timedelta
from decimal import Decimal as D
import io

from django.urls import reverse
import pytest

from costdash.dashboard.filters import org_today
from tests.factories import DailyCostFactory, DeveloperFactory, TeamFactory


@pytest.fixture
def usage(db):
    today = org_today()
    alpha, beta = TeamFactory(name="Alpha"), TeamFactory(name="Beta")
    evil = DeveloperFactory(email="evil@example.com", name='=HYPERLINK("http://x","y")', team=alpha)
    bo = DeveloperFactory(email="bo@example.com", name="Bo", team=beta)
    DailyCostFactory(developer=evil, day=today, model="claude-sonnet-4-6", cost=D("12.345678"), requests=3,
                     input_tokens=100, cache_read_tokens=300)
    DailyCostFactory(developer=bo, day=today, model="claude-opus-4-6", cost=D("5.00"), requests=1)
    DailyCostFactory(developer=bo, day=today - timedelta(days=40), model="claude-opus-4-6", cost=D("99.00"))
    return {"alpha": alpha, "evil": evil, "bo": bo, "today": today}


def download(client, user, name, params):
    client.force_login(user)
    response = client.get(reverse(name), {**params, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return response["Content-Disposition"], list(csv.reader(io.StringIO(body)))


def test_the_developers_table_downloads_with_its_filters(client, admin_user, usage):
    disposition, rows = download(client, admin_user, "dashboard:developers", {"team": usage["alpha"].pk})
    today = usage["today"]
    assert disposition == f'attachment; filename="costdash-developers-{today.replace(day=1)}-{today}.csv"'
    assert rows[0][:3] == ["Developer", "Team", "Spend (USD)"]
    assert rows[1:] == [[
        '\'=HYPERLINK("http://x","y")', "Alpha", "12.35", "1", "12.35", "12.35", today.isoformat(), "12.35", "0",
        "0.7500", "claude-sonnet-4-6", "",
    ]]


def test_the_cache_and_models_tables_download_with_their_filters(client, admin_user, usage):
    _, cache = download(client, admin_user, "dashboard:cache", {"developer": usage["bo"].pk})
    assert [row[0] for row in cache] == ["Developer", "Bo"]
    _, models = download(client, admin_user, "dashboard:models", {"model": "claude-opus-4-6"})
    assert models[0][:3] == ["Model", "Spend (USD)", "Share"]
    assert [row[:2] for row in models[1:]] == [["claude-opus-4-6", "5.00"]]  # the month so far: not the $99


def test_a_developer_downloads_only_their_own(client, developer_user, usage):
    DailyCostFactory(developer=developer_user.developer, day=usage["today"], cost=D("1.00"))
    _, rows = download(client, developer_user, "dashboard:developers", {})
    assert [row[0] for row in rows[1:]] == [developer_user.developer.display_name]


def test_each_page_links_its_download_with_the_filters(client, admin_user, usage):
    client.force_login(admin_user)
    for name in ("dashboard:developers", "dashboard:cache", "dashboard:models"):
        html = client.get(reverse(name), {"team": usage["alpha"].pk}).content.decode()
        assert f'href="?team={usage["alpha"].pk}&amp;format=csv" download' in html, name
