"""The Connectors page: admins only; the key field is write-only; Pull now queues a pull."""
from datetime import date, timedelta

from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
import pytest

from costdash.connectors.models import AdminApiConnection, AdminApiCursor
from costdash.ingest.models import ImportBatch, UsageAggregate
from tests.connectors.conftest import KEY, fill

pytestmark = pytest.mark.django_db
OTHER_KEY = "sk-ant-admin01-SECOND-KEY-abcdefghijklmnopqrstuvwxyz0123456789-Ab12"


def urls(pk: int) -> list[tuple[str, str]]:
    return [("get", "/connectors/"), ("get", "/connectors/new/"), ("get", f"/connectors/{pk}/"),
            ("get", f"/connectors/{pk}/delete/"), ("post", f"/connectors/{pk}/pull/"),
            ("post", f"/connectors/{pk}/delete/"), ("post", "/connectors/new/")]


def test_anonymous_visitors_are_sent_to_log_in(client, make_connection):
    connection = make_connection()
    for method, url in urls(connection.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response.url.startswith("/login/"), url


@pytest.mark.parametrize("persona", ["developer_user", "billing_user", "outsider_user"])
def test_only_admins_see_connectors(client, make_connection, fake_api, persona, request):
    connection = make_connection()
    client.force_login(request.getfixturevalue(persona))
    for method, url in urls(connection.pk):
        assert getattr(client, method)(url).status_code == 403, url
    assert AdminApiConnection.objects.filter(pk=connection.pk).exists() and fake_api.seen == []
    assert "Connectors" not in client.get("/").content.decode()


def test_admins_see_the_page_and_the_nav_link(client, admin_user, make_connection):
    make_connection()
    client.force_login(admin_user)
    page = client.get("/connectors/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Acme" in html and "Pull now" in html and 'href="/connectors/"' in html


def form_data(**overrides) -> dict:
    data = {"name": "Acme", "base_url": "https://api.anthropic.com", "enabled": "on", "pull_usage": "on",
            "pull_cost": "on", "pull_claude_code": "on", "start_date": "2026-04-01", "admin_key": KEY}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_an_admin_creates_a_connection_and_never_sees_the_key_again(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/connectors/new/", form_data())
    assert response.status_code == 302
    connection = AdminApiConnection.objects.get(name="Acme")
    assert connection.admin_key() == KEY and connection.start_date == date(2026, 4, 1)

    edit = client.get(f"/connectors/{connection.pk}/").content.decode()
    assert KEY not in edit and KEY[15:-4] not in edit and f"…{KEY[-4:]}" in edit


def test_a_blank_key_on_edit_keeps_the_stored_one_and_a_new_one_replaces_it(client, admin_user, make_connection):
    connection = make_connection()
    client.force_login(admin_user)

    kept = form_data(admin_key="", name="Acme Inc", base_url=connection.base_url)  # a new URL would clear it
    assert client.post(f"/connectors/{connection.pk}/", kept).status_code == 302
    connection.refresh_from_db()
    assert connection.name == "Acme Inc" and connection.admin_key() == KEY

    assert client.post(f"/connectors/{connection.pk}/", form_data(admin_key=OTHER_KEY)).status_code == 302
    connection.refresh_from_db()
    assert connection.admin_key() == OTHER_KEY and connection.key_hint.endswith("Ab12")


def test_the_form_refuses_a_missing_or_foreign_key_without_echoing_it(client, admin_user):
    client.force_login(admin_user)
    missing = client.post("/connectors/new/", form_data(admin_key=""))
    assert missing.status_code == 200 and "An admin key is needed" in missing.content.decode()
    foreign = client.post("/connectors/new/", form_data(admin_key="sk-ant-api03-NOT-AN-ADMIN-KEY-xyz"))
    html = foreign.content.decode()
    assert foreign.status_code == 200 and "start with sk-ant-admin" in html and "NOT-AN-ADMIN" not in html
    assert not AdminApiConnection.objects.exists()


def test_changing_the_start_date_drops_the_cursors(client, admin_user, make_connection):
    connection = make_connection()
    AdminApiCursor.objects.create(connection=connection, endpoint="usage", fetched_through=date(2026, 5, 10))
    client.force_login(admin_user)
    client.post(f"/connectors/{connection.pk}/", form_data(admin_key="", base_url=connection.base_url,
                                                           start_date=connection.start_date.isoformat()))
    assert AdminApiCursor.objects.count() == 1  # nothing that matters changed
    client.post(f"/connectors/{connection.pk}/", form_data(admin_key="", base_url=connection.base_url))
    assert AdminApiCursor.objects.count() == 0


def recent(fake_api, samples) -> date:
    """Data for yesterday and today (UTC), the days a connection starting yesterday pulls."""
    today = timezone.now().date()
    fill(fake_api, samples, [today - timedelta(days=1), today])
    return today - timedelta(days=1)


def test_pull_now_pulls_and_the_page_shows_the_result(client, admin_user, make_connection, fake_api, samples):
    connection = make_connection(start_date=recent(fake_api, samples))
    client.force_login(admin_user)

    response = client.post(f"/connectors/{connection.pk}/pull/")  # tasks run in-process here

    assert response.status_code == 302
    assert ImportBatch.objects.filter(status="done").count() == 3
    assert UsageAggregate.objects.filter(source="anthropic_usage").exists()
    html = client.get("/connectors/").content.decode()
    assert "usage" in html and "claude_code" in html and "done" in html


def test_delete_removes_the_connection_but_keeps_its_data(client, admin_user, make_connection, fake_api, samples):
    connection = make_connection(start_date=recent(fake_api, samples))
    client.force_login(admin_user)
    client.post(f"/connectors/{connection.pk}/pull/")
    stored = UsageAggregate.objects.count()

    assert client.post(f"/connectors/{connection.pk}/delete/").status_code == 302

    assert not AdminApiConnection.objects.exists() and not AdminApiCursor.objects.exists()
    assert UsageAggregate.objects.count() == stored > 0


def test_the_command_prints_a_line_per_page(make_connection, fake_api, samples, capsys):
    yesterday = recent(fake_api, samples)
    make_connection(start_date=yesterday)
    call_command("pull_admin_api", "--connection", "Acme")
    out = capsys.readouterr().out.splitlines()
    pages = [line for line in out if " page " in line]
    # two days: one page each of usage and cost (two buckets), one page a day of claude_code
    assert pages == [
        "Acme usage_report/messages page 1: 2 records (2 new, 0 updated, 0 unchanged), 0 rejected",
        "Acme cost_report page 1: 2 records (2 new, 0 updated, 0 unchanged), 0 rejected",
        f"Acme usage_report/claude_code {yesterday} page 1: 3 records (3 new, 0 updated, 0 unchanged), 0 rejected",
        f"Acme usage_report/claude_code {yesterday + timedelta(days=1)} page 1: 3 records (3 new, 0 updated, "
        "0 unchanged), 0 rejected",
    ]
    assert any(line.startswith("Acme anthropic_usage: done") for line in out)
    assert any(line.startswith("Acme claude_code_analytics: done") for line in out)

    with pytest.raises(CommandError, match="no Admin API connection named 'Nope'"):
        call_command("pull_admin_api", "--connection", "Nope")


def test_the_beat_task_pulls_every_enabled_connection(make_connection, fake_api, settings):
    from costdash.celery import app
    from costdash.connectors.tasks import admin_api_pull_all

    assert settings.CELERY_BEAT_SCHEDULE["admin-api-pull"]["task"] in app.tasks
    today = timezone.now().date()
    make_connection(pull_cost=False, pull_claude_code=False, start_date=today)
    paused = make_connection(name="Paused", enabled=False, start_date=today)

    assert admin_api_pull_all.delay().get() == 1

    assert ImportBatch.objects.filter(label="Admin API pull: Acme").count() == 1
    assert not ImportBatch.objects.filter(label="Admin API pull: Paused").exists()
    paused.refresh_from_db()
    assert paused.last_run_at is None
