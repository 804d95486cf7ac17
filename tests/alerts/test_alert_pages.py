"""The alert pages: who sees what (admin, billing, developer, anonymous), filters, acknowledging with
a note, pagination, channels (admins: add, edit, delete, send test) and rules (admins edit, billing reads)."""
from datetime import timedelta
from decimal import Decimal

import pytest

from costdash.accounts.models import Developer
from costdash.alerts.models import AlertEvent, AlertRule, Channel, Notification
from tests.alerts.conftest import SECRET, make_channel, org_today
from tests.factories import DeveloperFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(default_rules, developer_user):
    """Ana's alert (the developer persona's own), Bo's, and an org-wide one (a failed import)."""
    ana = Developer.objects.get(user=developer_user)
    bo = DeveloperFactory(name="Bo")
    ceiling, failed = default_rules["daily_ceiling"], default_rules["import_failed"]
    day = org_today() - timedelta(days=1)

    def event(rule, subject, developer, summary):
        return AlertEvent.objects.create(rule=rule, subject_key=subject, day=day, developer=developer,
                                         figure=Decimal("45") if developer else None, summary=summary, link="/")

    return {
        "ana": event(ceiling, f"developer:{ana.pk}", ana, "Ana spent $45.00."),
        "bo": event(ceiling, f"developer:{bo.pk}", bo, "Bo spent $45.00."),
        "import": event(failed, "batch:1", None, "Import #1 failed."),
    }


URLS = [("get", "/alerts/"), ("get", "/alerts/{bo}/"), ("post", "/alerts/{bo}/"), ("get", "/alerts/channels/"),
        ("get", "/alerts/channels/new/?kind=email"), ("get", "/alerts/channels/{ch}/"),
        ("post", "/alerts/channels/{ch}/test/"), ("get", "/alerts/channels/{ch}/delete/"),
        ("post", "/alerts/channels/{ch}/delete/"), ("get", "/alerts/rules/"), ("get", "/alerts/rules/new/"),
        ("get", "/alerts/rules/{rule}/"), ("post", "/alerts/rules/{rule}/delete/")]
EVERYTHING = {template for _, template in URLS}


def ids(alerts) -> dict[str, int]:
    channel = make_channel("email", "Finance", {"to": ["finance@example.com"]})
    return {"bo": alerts["bo"].pk, "ch": channel.pk, "rule": AlertRule.objects.first().pk}


def test_anonymous_visitors_are_sent_to_log_in(client, alerts):
    pks = ids(alerts)
    for method, template in URLS:
        response = getattr(client, method)(template.format(**pks))
        assert response.status_code == 302 and response.url.startswith("/login/"), template


@pytest.mark.parametrize("persona, allowed", [
    ("admin_user", EVERYTHING),
    ("billing_user", {"/alerts/", "/alerts/{bo}/", "/alerts/rules/"}),
    ("developer_user", {"/alerts/"}),
    ("outsider_user", {"/alerts/"}),
])
def test_the_access_matrix(client, alerts, persona, allowed, request, smtp):
    smtp()  # the admin's "send test"
    pks = ids(alerts)
    client.force_login(request.getfixturevalue(persona))
    for method, template in URLS:
        status = getattr(client, method)(template.format(**pks)).status_code
        if template in allowed:
            assert status in (200, 302), (method, template, status)
        else:  # someone else's alert is not found; the org's settings are forbidden
            assert status == (404 if template.startswith("/alerts/{bo}/") else 403), (method, template, status)
    assert Channel.objects.exists() is (persona != "admin_user")  # only an admin could delete it


def test_a_developer_sees_only_their_own_alerts(client, developer_user, alerts):
    client.force_login(developer_user)
    html = client.get("/alerts/").content.decode()
    assert "Ana spent $45.00." in html and "Bo spent" not in html and "Import #1" not in html
    assert client.get(f"/alerts/{alerts['ana'].pk}/").status_code == 200
    assert client.get(f"/alerts/{alerts['import'].pk}/").status_code == 404
    assert 'href="/alerts/"' in client.get("/").content.decode()  # the nav link


def test_billing_sees_every_alert_and_reads_the_rules(client, billing_user, alerts):
    client.force_login(billing_user)
    html = client.get("/alerts/").content.decode()
    assert all(text in html for text in ("Ana spent", "Bo spent", "Import #1 failed."))
    rules = client.get("/alerts/rules/").content.decode()
    assert "Daily ceiling crossed" in rules and "$30.00" in rules and "/alerts/rules/new/" not in rules


def test_filters_by_rule_developer_and_state(client, admin_user, alerts):
    client.force_login(admin_user)
    AlertEvent.objects.filter(pk=alerts["bo"].pk).update(state="acknowledged")
    ceiling = alerts["ana"].rule

    def shown(query):
        html = client.get(f"/alerts/?{query}").content.decode()
        return {name for name, text in (("ana", "Ana spent"), ("bo", "Bo spent"), ("import", "Import #1")) if text in html}

    assert shown("") == {"ana", "bo", "import"}
    assert shown(f"rule={ceiling.pk}") == {"ana", "bo"}
    assert shown(f"developer={alerts['bo'].developer_id}") == {"bo"}
    assert shown("state=open") == {"ana", "import"}
    assert shown(f"rule={ceiling.pk}&state=acknowledged") == {"bo"}
    assert shown("developer=nonsense") == {"ana", "bo", "import"}  # an invalid filter is ignored, not a 500


def test_a_developer_acknowledges_their_alert_with_a_note_once(client, developer_user, alerts):
    client.force_login(developer_user)
    ana = alerts["ana"]
    response = client.post(f"/alerts/{ana.pk}/", {"note": "Big refactor, expected.", "next": "/alerts/?state=open"})
    assert response.status_code == 302 and response.url == "/alerts/?state=open"
    ana.refresh_from_db()
    assert (ana.state, ana.ack_note, ana.ack_by) == ("acknowledged", "Big refactor, expected.", developer_user)
    client.post(f"/alerts/{ana.pk}/", {"note": "again"})
    ana.refresh_from_db()
    assert ana.ack_note == "Big refactor, expected."
    assert "Big refactor, expected." in client.get(f"/alerts/{ana.pk}/").content.decode()
    response = client.post(f"/alerts/{ana.pk}/", {"note": "x", "next": "https://evil.example.com/"})
    assert response.url == f"/alerts/{ana.pk}/"  # never sent off-site


def test_the_list_is_paginated(client, admin_user, default_rules):
    rule = default_rules["import_failed"]
    AlertEvent.objects.bulk_create([AlertEvent(rule=rule, subject_key=f"batch:{n}", day=org_today(),
                                               summary=f"Import #{n} failed.", link="/") for n in range(60)])
    client.force_login(admin_user)
    first, second = client.get("/alerts/").content.decode(), client.get("/alerts/?page=2").content.decode()
    assert first.count("Import #") == 50 and second.count("Import #") == 10 and "Page 2 of 2" in second


def test_an_alert_page_lists_every_delivery_attempt(client, admin_user, alerts):
    channel = make_channel("webhook", "Ops", {"url": "http://127.0.0.1:9/hook", "secret": SECRET})
    Notification.objects.create(event=alerts["bo"], channel=channel, attempt=1, status="failed", response_code=500,
                                error="POST webhook http://127.0.0.1:9/…hook: HTTP 500")
    Notification.objects.create(event=alerts["bo"], channel=channel, attempt=2, status="sent", response_code=200)
    client.force_login(admin_user)
    html = client.get(f"/alerts/{alerts['bo'].pk}/").content.decode()
    assert "HTTP 500" in html and html.count("<td class=\"num\">2</td>") == 1 and "sent" in html


def test_an_admin_adds_each_kind_of_channel_and_secrets_stay_write_only(client, admin_user):
    client.force_login(admin_user)
    slack_url = "https://hooks.slack.com/services/T01/B02/secretpart1234"
    assert client.post("/alerts/channels/new/?kind=email", {"name": "Finance", "target": "a@example.com, b@example.com",
                                                            "enabled": "on", "notify_developer": "on"}).status_code == 302
    assert client.post("/alerts/channels/new/?kind=slack", {"name": "Chat", "target": slack_url,
                                                            "enabled": "on"}).status_code == 302
    assert client.post("/alerts/channels/new/?kind=webhook", {"name": "Hook", "target": "https://example.com/in",
                                                              "signing_secret": SECRET, "enabled": "on"}).status_code == 302
    email, slack, hook = (Channel.objects.get(name=n) for n in ("Finance", "Chat", "Hook"))
    assert email.config() == {"to": ["a@example.com", "b@example.com"]} and email.notify_developer
    assert slack.config() == {"url": slack_url} and slack.hint == "https://hooks.slack.com/…1234"
    assert hook.config() == {"url": "https://example.com/in", "secret": SECRET}
    assert slack_url not in slack.config_ciphertext and SECRET not in hook.config_ciphertext

    pages = "".join(client.get(url).content.decode() for url in (
        "/alerts/channels/", f"/alerts/channels/{slack.pk}/", f"/alerts/channels/{hook.pk}/"))
    assert "secretpart" not in pages and SECRET not in pages and "a@example.com, b@example.com" in pages
    # Blank on edit keeps the stored URL and secret.
    assert client.post(f"/alerts/channels/{hook.pk}/", {"name": "Hook 2", "target": "", "signing_secret": "",
                                                        "enabled": "on"}).status_code == 302
    hook.refresh_from_db()
    assert hook.name == "Hook 2" and hook.config() == {"url": "https://example.com/in", "secret": SECRET}


def test_the_channel_form_refuses_bad_settings_without_echoing_secrets(client, admin_user):
    client.force_login(admin_user)
    bad = [("email", {"target": "not-an-address"}, "not-an-address is not an e-mail address."),
           ("slack", {"target": "hooks.slack.com/no-scheme-secret"}, "That is not an http(s) URL"),
           ("webhook", {"target": "https://example.com/in", "signing_secret": "short"}, "at least 16 characters"),
           ("webhook", {"target": "https://example.com/in"}, "Enter a signing secret")]
    for kind, data, error in bad:
        response = client.post(f"/alerts/channels/new/?kind={kind}", {"name": "X", "enabled": "on", **data})
        html = response.content.decode()
        assert response.status_code == 200 and error in html, kind
        assert "no-scheme-secret" not in html
    assert not Channel.objects.exists()
    assert client.get("/alerts/channels/new/?kind=pager").status_code == 404


def test_saving_a_disabled_channel_enables_it_again(client, admin_user):
    channel = make_channel("webhook", "Hook", {"url": "https://example.com/in", "secret": SECRET})
    Channel.objects.filter(pk=channel.pk).update(enabled=False, disabled_reason="Disabled after a permanent error: 404")
    client.force_login(admin_user)
    assert "Disabled after a permanent error: 404" in client.get(f"/alerts/channels/{channel.pk}/").content.decode()
    client.post(f"/alerts/channels/{channel.pk}/", {"name": "Hook", "enabled": "on"})
    channel.refresh_from_db()
    assert channel.enabled and channel.disabled_reason == ""


def test_send_test_reports_success_and_failure_on_the_page(client, admin_user, receiver):
    good, bad = receiver(), receiver(404)
    ok = make_channel("slack", "Chat", {"url": f"{good.url}/services/x"})
    broken = make_channel("slack", "Old chat", {"url": f"{bad.url}/services/y"})
    client.force_login(admin_user)
    page = client.post(f"/alerts/channels/{ok.pk}/test/", follow=True).content.decode()
    assert "A test message went to Chat." in page and len(good.received) == 1
    page = client.post(f"/alerts/channels/{broken.pk}/test/", follow=True).content.decode()
    assert "The test to Old chat failed:" in page and "HTTP 404" in page
    broken.refresh_from_db()
    assert broken.enabled and "HTTP 404" in broken.last_error  # a test does not disable


def test_an_admin_edits_a_rule_within_its_kind(client, admin_user, default_rules):
    client.force_login(admin_user)
    rule = default_rules["daily_ceiling"]
    form = {"kind": "daily_ceiling", "name": "", "threshold": "40", "scope": "org", "window_days": "7", "enabled": "on"}
    assert client.post(f"/alerts/rules/{rule.pk}/", form).status_code == 302
    rule.refresh_from_db()
    assert rule.threshold == Decimal("40") and rule.owner == admin_user

    errors = [({"kind": "limit_share", "scope": "team"}, "the scope can be: whole organisation"),
              ({"scope": "team"}, "Choose the team."),
              ({"threshold": "0"}, "Enter a threshold above 0."),
              ({"kind": "team_average", "window_days": "0"}, "Choose between 1 and 90 days.")]
    for change, error in errors:
        response = client.post(f"/alerts/rules/{rule.pk}/", {**form, **change})
        assert response.status_code == 200 and error in response.content.decode(), change

    client.post("/alerts/rules/new/", {**form, "kind": "import_failed", "name": "Imports", "threshold": "5"})
    assert AlertRule.objects.get(name="Imports").threshold is None  # the operational kinds have none
