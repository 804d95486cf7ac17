"""E-mail alerts through Django's SMTP backend to a real SMTP server (aiosmtpd) started by the test."""
from datetime import timedelta

from django.utils import timezone
import pytest

from costdash.alerts.delivery import MAX_ATTEMPTS, alerts_sweep, channel_send_test
from costdash.alerts.models import AlertEvent, Channel, Notification
from tests.alerts.conftest import BASE_URL, make_channel, org_today

pytestmark = pytest.mark.django_db


def test_an_alert_email_names_the_developer_day_figure_threshold_and_links_to_the_page(smtp, ceiling_rule, ana_over,
                                                                                       evaluate):
    sink = smtp()
    make_channel("email", "Finance", {"to": ["finance@example.com", "cto@example.com"]})
    event = evaluate()[0]
    day = org_today() - timedelta(days=1)
    assert len(sink.messages) == 1
    sent = sink.messages[0]
    assert sent["to"] == ["finance@example.com", "cto@example.com"] and sent["from"] == "costdash@localhost"
    email = sent["email"]
    assert email["Subject"] == f"[costdash] Daily ceiling crossed: Ana Lopez, {day:%Y-%m-%d} ($45.00 vs $30.00)"
    assert email["X-Costdash-Event"] == str(event.pk)
    body = email.get_content()
    assert f"Ana Lopez spent $45.00 on {day:%Y-%m-%d}, over the daily ceiling of $30.00." in body
    assert "Developer: Ana Lopez <ana@example.com>" in body and f"Day:       {day:%Y-%m-%d}" in body
    assert "Figure:    $45.00" in body and "Threshold: $30.00" in body
    link = f"{BASE_URL}/developers/{ana_over.pk}/?since={day - timedelta(days=29)}&until={day}"
    assert f"Why and how it adds up: {link}" in body
    assert f"Acknowledge it: {BASE_URL}/alerts/{event.pk}/" in body
    note = Notification.objects.get()
    assert (note.status, note.attempt, note.response_code) == ("sent", 1, 250)
    event.refresh_from_db()
    assert event.delivery_done_at is not None


def test_a_channel_that_notifies_the_developer_adds_them_to_their_own_alerts(smtp, ceiling_rule, ana_over, evaluate):
    sink = smtp()
    make_channel("email", "Leads", {"to": ["lead@example.com"]}, notify_developer=True)
    evaluate()
    assert sink.messages[0]["to"] == ["lead@example.com", "ana@example.com"]


def test_an_smtp_5xx_refusal_disables_the_channel_and_says_why(smtp, ceiling_rule, ana_over, evaluate):
    smtp(refuse="550 5.1.1 <finance@example.com>: no such user")
    channel = make_channel("email", "Finance", {"to": ["finance@example.com"]})
    evaluate()
    note = Notification.objects.get()  # permanent: not retried
    assert (note.status, note.permanent, note.response_code) == ("failed", True, 550)
    channel.refresh_from_db()
    assert not channel.enabled
    assert channel.disabled_reason == ("Disabled after a permanent error: SMTP refused every recipient: "
                                       "finance@example.com (550 5.1.1 <finance@example.com>: no such user)")
    assert AlertEvent.objects.get().delivery_done_at is not None  # nothing left to try


def test_an_unreachable_smtp_server_is_tried_again_by_the_sweeper_then_given_up_without_disabling(
        settings, ceiling_rule, ana_over, evaluate, unused_port):
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", unused_port
    channel = make_channel("email", "Finance", {"to": ["finance@example.com"]})
    evaluate()  # in-process: the first attempt fails and is left to the sweeper
    later = timezone.now()
    for _ in range(MAX_ATTEMPTS + 2):
        later += timedelta(seconds=settings.COSTDASH_ALERT_RESEND_SECONDS + 1)
        alerts_sweep(now=later)
    notes = list(Notification.objects.order_by("attempt"))
    assert [n.attempt for n in notes] == list(range(1, MAX_ATTEMPTS + 1))
    assert all(n.status == "failed" and not n.permanent for n in notes)
    assert f"SMTP server 127.0.0.1:{unused_port}" in notes[0].error
    channel.refresh_from_db()
    assert channel.enabled and channel.last_error == notes[-1].error
    assert AlertEvent.objects.get().delivery_done_at is not None  # given up after MAX_ATTEMPTS


def test_send_test_delivers_a_test_message(smtp, admin_user):
    sink = smtp()
    channel = make_channel("email", "Finance", {"to": ["finance@example.com"]})
    assert channel_send_test(channel, admin_user) is None
    email = sink.messages[0]["email"]
    assert email["Subject"] == "[costdash] Test of Finance" and email["X-Costdash-Event"] == "test"
    assert f"{BASE_URL}/alerts/channels/" in email.get_content()
    assert Notification.objects.get(channel=channel, event=None).status == "sent"
    assert Channel.objects.get().last_success_at is not None
