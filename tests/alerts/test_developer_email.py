"""Telling a developer about their own alerts by e-mail (Channel.notify_developer), through a real
SMTP server: in Cc of the channel's message, or alone on a channel with no addresses of its own."""
from datetime import timedelta
from decimal import Decimal

import pytest

from costdash.accounts.models import Team
from costdash.alerts.delivery import channel_send_test
from costdash.alerts.forms import ChannelForm
from costdash.alerts.kinds import Finding
from costdash.alerts.models import AlertEvent, Channel, Notification
from costdash.alerts.services import events_raise
from tests.alerts.conftest import make_channel, org_today
from tests.factories import DailyCostFactory, DeveloperFactory

pytestmark = pytest.mark.django_db


def test_the_developer_is_in_cc_of_the_channels_message(smtp, ceiling_rule, ana_over, evaluate):
    sink = smtp()
    make_channel("email", "Leads", {"to": ["lead@example.com"]}, notify_developer=True)
    evaluate()
    assert len(sink.messages) == 1  # one message, one SMTP transaction: one claim, once
    sent = sink.messages[0]
    assert sent["to"] == ["lead@example.com", "ana@example.com"]
    assert sent["email"]["To"] == "lead@example.com" and sent["email"]["Cc"] == "ana@example.com"


def test_a_channel_without_notify_developer_leaves_the_developer_out(smtp, ceiling_rule, ana_over, evaluate):
    sink = smtp()
    make_channel("email", "Leads", {"to": ["lead@example.com"]})
    evaluate()
    assert sink.messages[0]["to"] == ["lead@example.com"] and sink.messages[0]["email"]["Cc"] is None


def test_a_developers_only_channel_writes_to_each_developer_about_their_own_alert_alone(
        smtp, ceiling_rule, ana_over, evaluate):
    sink = smtp()
    bo = DeveloperFactory(email="bo@example.com", name="Bo", team=ana_over.team)
    DailyCostFactory(developer=bo, day=org_today() - timedelta(days=1), cost=Decimal("31.00"))
    channel = make_channel("email", "Developers", {"to": []}, notify_developer=True)
    assert channel.hint == "the developer concerned only"
    events = evaluate()
    assert len(events) == 2
    by_recipient = {tuple(m["to"]): m["email"] for m in sink.messages}
    assert set(by_recipient) == {("ana@example.com",), ("bo@example.com",)}
    assert "Ana Lopez spent $45.00" in by_recipient[("ana@example.com",)].get_content()
    assert "Bo spent $31.00" in by_recipient[("bo@example.com",)].get_content()
    assert by_recipient[("bo@example.com",)]["Cc"] is None


def test_a_developers_only_channel_takes_no_alert_about_no_developer(smtp, default_rules,
                                                                    django_capture_on_commit_callbacks):
    sink = smtp()
    make_channel("email", "Developers", {"to": []}, notify_developer=True)
    team = Team.objects.create(name="Data")
    finding = Finding(default_rules["team_average"], f"team:{team.pk}", org_today(), "Data's average over", "/")
    with django_capture_on_commit_callbacks(execute=True):
        event = events_raise([finding])[0]
    assert sink.messages == [] and not Notification.objects.exists()
    assert AlertEvent.objects.get(pk=event.pk).delivery_done_at is not None  # meant for no channel: done


def test_a_test_of_a_developers_only_channel_goes_to_its_sender(smtp, admin_user):
    sink = smtp()
    admin_user.email = "admin@example.com"
    admin_user.save()
    channel = make_channel("email", "Developers", {"to": []}, notify_developer=True)
    assert channel_send_test(channel, admin_user) is None
    assert sink.messages[0]["to"] == ["admin@example.com"]


def form(data: dict, instance=None) -> ChannelForm:
    return ChannelForm({"name": "Developers", "enabled": "on", **data}, instance=instance, kind="email")


def test_the_form_takes_no_addresses_only_when_the_channel_writes_to_the_developer(db):
    alone = form({"target": "", "notify_developer": "on"})
    assert alone.is_valid(), alone.errors
    assert alone.config == {"to": []}
    nobody = form({"target": ""})
    assert not nobody.is_valid()
    assert "Enter at least one e-mail address" in str(nobody.errors)


def test_the_form_refuses_a_digest_that_would_write_to_developers(db):
    both = form({"target": "lead@example.com", "notify_developer": "on", "digest": "daily"})
    assert not both.is_valid()
    assert "A digest goes to the channel's addresses only" in both.errors["digest"][0]
    assert Channel.objects.count() == 0


def test_a_developers_only_channel_is_edited_and_saved_again_as_it_was(client, admin_user):
    channel = make_channel("email", "Developers", {"to": []}, notify_developer=True)
    client.force_login(admin_user)
    page = client.get(f"/alerts/channels/{channel.pk}/").content.decode()
    assert 'name="target" value="the developer' not in page
    assert client.post(f"/alerts/channels/{channel.pk}/", {"name": "Devs", "target": "", "notify_developer": "on",
                                                           "enabled": "on"}).status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.config(), channel.hint) == ("Devs", {"to": []}, "the developer concerned only")
