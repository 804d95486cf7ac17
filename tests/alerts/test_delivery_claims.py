"""Delivery bookkeeping: a claim per (event, channel), attempts counted in the database, the sweeper
making up lost enqueues and attempts that never finished, and which channels an alert goes to."""
from datetime import timedelta
import threading

from django.db import connections
from django.utils import timezone
import pytest

from costdash.alerts import delivery
from costdash.alerts.delivery import SENT, SKIPPED, alerts_sweep, notification_send
from costdash.alerts.models import AlertEvent, Channel, Notification
from costdash.alerts.services import events_raise
from tests.alerts.conftest import SECRET, make_channel, org_today

pytestmark = pytest.mark.django_db


@pytest.fixture
def raise_alert(ceiling_rule, ana_over):
    """Raise Ana's alert with its delivery never queued (as when the broker was down): the test's
    transaction never commits, so what the commit would queue never runs. Channels made before it
    are its targets."""
    from costdash.alerts.evaluation import alerts_evaluate

    return lambda: alerts_evaluate()[0]


def later(settings, seconds: int = 1):
    return timezone.now() + timedelta(seconds=settings.COSTDASH_ALERT_RESEND_SECONDS + seconds)


def test_an_alert_whose_enqueue_was_lost_is_sent_by_the_sweeper_once_due(receiver, raise_alert, settings):
    server = receiver()
    make_channel("webhook", "Ops", {"url": server.url, "secret": SECRET})
    event = raise_alert()
    assert alerts_sweep() == 0  # too soon: its delivery may still be on its way
    assert alerts_sweep(now=later(settings)) == 1
    assert len(server.received) == 1
    event.refresh_from_db()
    assert event.enqueued_at is not None and event.delivery_done_at is not None
    assert alerts_sweep(now=later(settings, 600)) == 0 and len(server.received) == 1


def test_a_sent_or_claimed_pair_is_not_sent_again(receiver, raise_alert):
    server = receiver()
    channel = make_channel("webhook", "Ops", {"url": server.url, "secret": SECRET})
    event = raise_alert()
    held = Notification.objects.create(event=event, channel=channel)  # another worker's claim, mid-send
    assert notification_send(event.pk, channel.pk) == SKIPPED
    Notification.objects.filter(pk=held.pk).update(status="failed")  # it failed: the pair is free again
    assert notification_send(event.pk, channel.pk) == SENT
    assert notification_send(event.pk, channel.pk) == SKIPPED
    assert list(Notification.objects.order_by("attempt").values_list("attempt", "status")) == [(1, "failed"), (2, "sent")]
    assert len(server.received) == 1


def test_an_attempt_that_never_finished_is_closed_and_tried_again(receiver, raise_alert, settings):
    server = receiver()
    channel = make_channel("webhook", "Ops", {"url": server.url, "secret": SECRET})
    event = raise_alert()
    stuck = Notification.objects.create(event=event, channel=channel)  # its worker was killed mid-send
    Notification.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - delivery.STALE_SENDING)
    assert alerts_sweep(now=later(settings)) == 1
    stuck.refresh_from_db()
    assert stuck.status == "unknown" and stuck.error.startswith("No outcome recorded")  # it may have been sent
    assert Notification.objects.get(attempt=2).status == "sent" and len(server.received) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_of_one_pair_send_once(receiver, ceiling_rule, ana_over):
    """Four threads (each its own database connection, committing its claim as a worker does) send the
    same alert to the same slow webhook at once: one sends, three find it claimed."""
    server = receiver(delay=0.5)
    channel = make_channel("webhook", "Ops", {"url": server.url, "secret": SECRET})
    event = AlertEvent.objects.create(rule=ceiling_rule, subject_key=f"developer:{ana_over.pk}", day=org_today(),
                                      developer=ana_over, summary="Ana spent $45.00.", link="/")
    outcomes, start = [], threading.Barrier(4)

    def send():
        start.wait()
        try:
            outcomes.append(notification_send(event.pk, channel.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == [SENT, SKIPPED, SKIPPED, SKIPPED]
    assert len(server.received) == 1 and Notification.objects.get().status == "sent"


def test_a_channel_made_after_the_alert_does_not_get_it(receiver, raise_alert, settings):
    server = receiver()
    channel = make_channel("webhook", "Ops", {"url": server.url, "secret": SECRET})
    event = raise_alert()
    Channel.objects.filter(pk=channel.pk).update(created_at=event.created_at + timedelta(seconds=1))
    alerts_sweep(now=later(settings))
    assert server.received == []
    event.refresh_from_db()
    assert event.delivery_done_at is not None


def test_settings_that_can_no_longer_be_decrypted_disable_the_channel(receiver, raise_alert, settings):
    channel = make_channel("webhook", "Ops", {"url": receiver().url, "secret": SECRET})
    event = raise_alert()
    Channel.objects.filter(pk=channel.pk).update(config_ciphertext="gAAAAABnot-a-token")
    assert notification_send(event.pk, channel.pk) == "failed"
    channel.refresh_from_db()
    assert not channel.enabled and "enter it again" in channel.disabled_reason


def test_events_raise_is_idempotent_per_rule_subject_and_day(raise_alert):
    event = raise_alert()
    from costdash.alerts.kinds import Finding

    again = Finding(rule=event.rule, subject_key=event.subject_key, day=event.day, summary="again", link="/")
    assert events_raise([again, again]) == [] and AlertEvent.objects.get().summary == event.summary

