"""Routing on the pages and the API: an admin chooses a rule's channels and urgency, scopes a channel
to a team with quiet hours or a digest; the rules, channels and alert pages and the API say where
each rule and alert goes. Billing reads; developers see where their own alerts went."""
from datetime import time, timedelta
from decimal import Decimal

import pytest

from costdash.accounts.models import Developer, Team
from costdash.alerts.models import AlertEvent, AlertRule, Channel
from tests.alerts.conftest import SECRET, make_channel, org_today

pytestmark = pytest.mark.django_db


def webhook(name: str, **fields) -> Channel:
    return make_channel("webhook", name, {"url": "https://example.com/in", "secret": SECRET}, **fields)


def test_an_admin_chooses_a_rules_channels_and_urgency_and_the_rules_page_shows_them(client, admin_user,
                                                                                    billing_user):
    AlertRule.objects.all().delete()  # the default rules
    ops, finance = webhook("Ops"), webhook("Finance")
    client.force_login(admin_user)
    form = client.get("/alerts/rules/new/").content.decode()
    assert "None chosen: every channel, as before" in form
    assert "The default is urgent for a line crossed: the daily ceiling, and a spend limit share of 100%" in form
    response = client.post("/alerts/rules/new/", {"kind": "projected_ceiling", "threshold": "40", "scope": "org",
                                                  "window_days": "7", "channels": [ops.pk, finance.pk],
                                                  "urgent": "true", "enabled": "on"})
    assert response.status_code == 302
    rule = AlertRule.objects.get()
    assert set(rule.channels.all()) == {ops, finance} and rule.urgent is True and rule.is_urgent
    assert client.post(f"/alerts/rules/{rule.pk}/", {"kind": "projected_ceiling", "threshold": "40", "scope": "org",
                                                     "window_days": "7", "channels": [ops.pk], "urgent": "",
                                                     "enabled": "on"}).status_code == 302
    rule.refresh_from_db()
    assert list(rule.channels.all()) == [ops] and rule.urgent is None and not rule.is_urgent
    AlertRule.objects.create(kind="daily_ceiling", threshold=Decimal("30"))

    client.force_login(billing_user)  # billing reads the rules, with their channels
    page = client.get("/alerts/rules/").content.decode()
    assert "<td>Ops</td>" in page and "Every channel" in page
    assert page.count("(default)") == 2


def test_an_admin_scopes_a_channel_to_a_team_with_quiet_hours_and_a_digest(client, admin_user):
    platform = Team.objects.create(name="Platform")
    client.force_login(admin_user)
    response = client.post("/alerts/channels/new/?kind=webhook", {
        "name": "Platform hook", "target": "https://example.com/in", "signing_secret": SECRET, "enabled": "on",
        "team": platform.pk, "quiet_start": "22:00", "quiet_end": "07:30", "digest": "weekly"})
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert (channel.team, channel.quiet_start, channel.quiet_end, channel.digest) == (
        platform, time(22), time(7, 30), "weekly")
    page = client.get("/alerts/channels/").content.decode()
    assert "Team Platform's alerts only" in page and "quiet 22:00–07:30 (urgent alerts still go)" in page
    assert "A weekly digest (last week, Monday to Sunday)" in page


@pytest.mark.parametrize(("fields", "error"), [
    ({"quiet_start": "22:00"}, "Give both ends of the quiet hours, or neither."),
    ({"quiet_start": "22:00", "quiet_end": "22:00"}, "The quiet hours must end at another time than they start."),
])
def test_the_channel_form_refuses_half_or_empty_quiet_hours(client, admin_user, fields, error):
    client.force_login(admin_user)
    response = client.post("/alerts/channels/new/?kind=email", {"name": "X", "target": "a@example.com",
                                                                "enabled": "on", **fields})
    assert response.status_code == 200 and error in response.content.decode()
    assert not Channel.objects.exists()


@pytest.fixture
def routed(default_rules, developer_user):
    """Ana's ceiling alert (the developer persona's) on a rule that chose the Ops channel; a Platform
    channel (Ana's team) and a Data channel; a daily digest channel."""
    platform, data = Team.objects.create(name="Platform"), Team.objects.create(name="Data")
    ana = Developer.objects.get(user=developer_user)
    Developer.objects.filter(pk=ana.pk).update(team=platform)
    ops, plat, dat = webhook("Ops"), webhook("Platform hook", team=platform), webhook("Data hook", team=data)
    digest = webhook("Digest", digest="daily")
    ceiling = default_rules["daily_ceiling"]
    ceiling.channels.set([ops, plat, dat, digest])
    event = AlertEvent.objects.create(rule=ceiling, subject_key=f"developer:{ana.pk}",
                                      day=org_today() - timedelta(days=1), developer=ana, figure=Decimal("45"),
                                      threshold=Decimal("30"), summary="Ana spent $45.00.", link="/")
    return {"event": event, "ops": ops, "platform": plat, "data": dat, "digest": digest, "rule": ceiling}


def test_the_alert_page_says_where_it_goes(client, developer_user, routed):
    client.force_login(developer_user)  # her own alert
    page = client.get(f"/alerts/{routed['event'].pk}/").content.decode()
    assert "The rule chooses: Data hook, Digest, Ops, Platform hook." in page
    assert "Urgent: sent during quiet hours too." in page
    assert "Ops: <span" in page and "Platform hook (team Platform): <span" in page
    assert "Data hook" in page.split("Where it goes")[1].split("</p>")[0]  # chosen by the rule...
    assert "Data hook (team Data)" not in page  # ...but not Ana's team: not a route
    assert "in the daily digest" in page


def test_the_api_says_where_an_alert_goes_and_where_each_rule_goes(routed, billing_user, developer_user):
    from rest_framework.test import APIClient

    from costdash.api.services import api_token_create

    def api(user) -> APIClient:
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='t')[1]}")
        return c

    body = api(developer_user).get(f"/api/v1/alerts/{routed['event'].pk}/").json()
    assert [(c["channel"]["name"], c["channel"]["team"], c["state"]) for c in body["channels"]] == [
        ("Ops", None, "queued"), ("Platform hook", "Platform", "queued"), ("Digest", None, "digest")]
    assert body["channels"][2]["channel"]["digest"] == "daily"

    assert api(developer_user).get("/api/v1/alert-rules/").status_code == 403
    rules = {r["kind"]: r for r in api(billing_user).get("/api/v1/alert-rules/").json()["results"]}
    ceiling = rules["daily_ceiling"]
    assert ceiling["every_channel"] is False and ceiling["urgent"] is True and ceiling["urgent_is_default"] is True
    assert sorted(c["name"] for c in ceiling["channels"]) == ["Data hook", "Digest", "Ops", "Platform hook"]
    assert rules["import_failed"]["every_channel"] is True and rules["import_failed"]["channels"] == []
    assert rules["import_failed"]["urgent"] is False


def test_deleting_a_rules_only_channel_warns_that_the_rule_will_go_everywhere(client, admin_user, default_rules):
    ops, finance = webhook("Ops"), webhook("Finance")
    default_rules["daily_ceiling"].channels.set([ops])
    default_rules["team_average"].channels.set([ops, finance])
    client.force_login(admin_user)
    page = client.get(f"/alerts/channels/{ops.pk}/delete/").content.decode()
    assert "These rules go to this channel only, and will go to every channel once it is deleted: " \
           "Daily ceiling crossed." in page
    other = client.get(f"/alerts/channels/{finance.pk}/delete/").content.decode()  # the average has Ops too
    assert "These rules go to this channel only" not in other
