"""The Projects and Sessions tables download as CSV with the filters in force (issue 13), from the
same real imports their page tests use."""
import csv
import io

from django.urls import reverse

from tests.dashboard.test_projects_page import RANGE
from tests.dashboard.test_projects_page import usage as projects_usage  # noqa: F401 - a fixture
from tests.dashboard.test_sessions_pages import sessions  # noqa: F401 - a fixture


def download(client, user, name, params) -> list[list[str]]:
    client.force_login(user)
    response = client.get(reverse(name), {**params, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith(f'attachment; filename="costdash-{name.split(":")[1]}-')
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_projects_table_downloads_as_the_page_lists_it(client, projects_usage, admin_user):  # noqa: F811
    client.force_login(admin_user)
    page = client.get(reverse("dashboard:projects"), RANGE)
    expected = [(p["name"], f"{p['spend']:.2f}") for p in page.context["table"]["projects"]]
    rows = download(client, admin_user, "dashboard:projects", RANGE)
    assert rows[0][:3] == ["Project", "Repositories", "Spend (USD)"]
    assert [(row[0], row[2]) for row in rows[1:]] == expected and len(expected) > 1
    only_bo = download(client, admin_user, "dashboard:projects", {**RANGE, "developer": projects_usage["bo"].pk})
    assert len(only_bo) - 1 < len(expected)


def test_the_sessions_table_downloads_with_its_filters(client, sessions, admin_user):  # noqa: F811
    rows = download(client, admin_user, "dashboard:sessions", sessions["range"])
    assert rows[0][:3] == ["Session", "Developer", "Project"]
    assert {row[0] for row in rows[1:]} >= {"broken", "bo-1"}
    only_bo = download(client, admin_user, "dashboard:sessions", {**sessions["range"], "developer": sessions["bo"].pk})
    assert [row[:2] for row in only_bo[1:]] == [["bo-1", "Bo"]]
