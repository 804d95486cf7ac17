"""Delivery: every event to every channel it is meant for (alerts.routing), once, recording each attempt.

Channel.notify's counterpart here is ``notification_send(event, channel)``, the one delivery path:
it claims (event, channel) by inserting a Notification in state "sending" (a partial unique
constraint lets only one such row, or a "sent" one, exist per pair), sends through the channel's
transport, and records the outcome on that row. A transient error is retried by the task with
backoff; a permanent one disables the channel with the reason. After MAX_ATTEMPTS the pair is
given up. An event goes to the channels routing gives it (the rule's choice, team scope; made
before the event was raised and enabled), except digest channels (alerts.digests sends those).
A non-urgent event is held from a channel in its quiet hours: not tried, not settled, so the
sweeper queues it again every COSTDASH_ALERT_RESEND_SECONDS and it goes out at the first sweep
after they end.

An attempt that timed out after sending (or whose worker stopped mid-send) is recorded as
"unknown", not "failed": the receiver may have it. It is retried like a failure, and every attempt
at one alert carries the same idempotency key (messages.alert_idempotency_key) for the receiver to
dedupe on.

The sweeper (``alerts_sweep``, on the beat) turns attempts that never finished (a worker killed
mid-send) into unknown outcomes and re-queues events not delivered COSTDASH_ALERT_RESEND_SECONDS after
they were raised or last queued: an enqueue lost to a broker outage is made up. A worker killed
after sending but before recording may send that one message again; nothing else sends twice.
"""
from __future__ import annotations

from datetime import timedelta
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from costdash.lib.encryption import SecretUnreadable

from .messages import event_message, test_message
from .models import AlertEvent, Channel, Notification
from .routing import channel_takes, event_routes, is_held
from .transports import TRANSPORTS, Message, TransportError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
RETRY_CAP_SECONDS = 1800
STALE_SENDING = timedelta(minutes=10)  # far longer than a send's timeouts
SENT, RETRY, FAILED, SKIPPED = "sent", "retry", "failed", "skipped"
RETRYABLE = (Notification.Status.FAILED, Notification.Status.UNKNOWN)  # finished, not sent: may be tried again


def retry_delay(retries: int) -> float:
    """Seconds before retry ``retries + 1``: COSTDASH_ALERT_RETRY_SECONDS doubling, capped at 30 minutes."""
    return min(settings.COSTDASH_ALERT_RETRY_SECONDS * 2**retries, RETRY_CAP_SECONDS)


def event_channels(event: AlertEvent) -> list[Channel]:
    """The channels the event is sent to one by one: its routes but the digest channels."""
    return [channel for channel in event_routes(event) if not channel.digest]


def pending_channels(event: AlertEvent, quiet_since=None, now=None) -> list[Channel]:
    """The event's channels still to be tried: not sent, no attempt in flight, not given up (a
    permanent error, or MAX_ATTEMPTS made). With ``quiet_since``, only those with no attempt after it.
    With ``now``, not those holding it in their quiet hours at ``now``."""
    attempts: dict[int, list[Notification]] = {}
    for note in Notification.objects.filter(event=event).order_by("pk"):
        attempts.setdefault(note.channel_id, []).append(note)
    pending = []
    for channel in event_channels(event):
        notes = attempts.get(channel.pk, [])
        if any(n.status not in RETRYABLE or n.permanent for n in notes) or len(notes) >= MAX_ATTEMPTS:
            continue
        if quiet_since is not None and notes and notes[-1].created_at > quiet_since:
            continue
        if now is not None and is_held(channel, event, now):
            continue
        pending.append(channel)
    return pending


def event_deliver(event_id: int, quiet_since=None, now=None) -> list[int]:
    """Queue a notification task per pending channel of the event not in its quiet hours at
    ``now`` (default: now), or mark it done when none is left; returns the channel ids queued."""
    from .tasks import alert_notify

    event = AlertEvent.objects.select_related("rule", "developer").filter(pk=event_id, delivery_done_at=None).first()
    if event is None:
        return []
    AlertEvent.objects.filter(pk=event.pk).update(enqueued_at=timezone.now())
    channels = pending_channels(event, quiet_since, now=now or timezone.now())
    if not channels:
        event_settle(event)
    for channel in channels:
        alert_notify.delay(event.pk, channel.pk)
    return [channel.pk for channel in channels]


def event_settle(event: AlertEvent) -> bool:
    """Mark the event delivered when no channel is left to try (held ones are left) and no attempt is in flight."""
    in_flight = Notification.objects.filter(event=event, status=Notification.Status.SENDING).exists()
    if in_flight or pending_channels(event):
        return False
    return bool(AlertEvent.objects.filter(pk=event.pk, delivery_done_at=None).update(delivery_done_at=timezone.now()))


def notification_send(event_id: int, channel_id: int) -> str:
    """Deliver one event to one channel, if nobody has or is: SENT, RETRY (a transient error with
    attempts left), FAILED (permanent, or out of attempts) or SKIPPED (claimed elsewhere, already
    sent, channel disabled or gone, or not one routing gives the event). Quiet hours are decided when
    the send is queued (event_deliver), not here: a retry of a send that began goes on."""
    channel = Channel.objects.filter(pk=channel_id, enabled=True).first()
    event = AlertEvent.objects.select_related("rule", "developer").filter(pk=event_id).first()
    if channel is None or event is None or channel.digest or not channel_takes(channel, event):
        return SKIPPED  # routing may have changed since it was queued: a digest channel, another team
    note = _claim(event, channel)
    if note is None:
        return SKIPPED
    error = _attempt(channel, note, lambda: event_message(event))
    event_settle(event)
    if error is None:
        return SENT
    return RETRY if not error.permanent and note.attempt < MAX_ATTEMPTS else FAILED


def channel_send_test(channel: Channel, user) -> TransportError | None:
    """Send a test message now; recorded as a Notification with no event. A failure is reported
    and kept as the channel's last error, but a test does not disable the channel."""
    note = Notification.objects.create(channel=channel, status=Notification.Status.SENDING)
    return _attempt(channel, note, lambda: test_message(channel, user), disable=False)


def _claim(event: AlertEvent, channel: Channel) -> Notification | None:
    """Insert this attempt's row in state sending, or None when another holds or sent the pair."""
    try:
        with transaction.atomic():
            attempt = Notification.objects.filter(event=event, channel=channel).count() + 1
            if attempt > MAX_ATTEMPTS:
                return None
            return Notification.objects.create(event=event, channel=channel, attempt=attempt)
    except IntegrityError:
        return None


def _attempt(channel: Channel, note: Notification, compose, disable: bool = True) -> TransportError | None:
    """Send, record the outcome on ``note`` and the channel; returns the error, if any."""
    now = timezone.now
    try:
        message: Message = compose()
        code = TRANSPORTS[channel.kind].send(channel, channel.config(), message)
    except TransportError as exc:
        error = exc
    except SecretUnreadable as exc:
        error = TransportError(str(exc), permanent=True)
    else:
        Notification.objects.filter(pk=note.pk).update(status=Notification.Status.SENT, response_code=code,
                                                       finished_at=now())
        Channel.objects.filter(pk=channel.pk).update(last_success_at=now())
        return None
    text = str(error)[:2000]
    # No answer after the message went out: the receiver may have it, so not "failed".
    status = Notification.Status.UNKNOWN if error.unknown and not error.permanent else Notification.Status.FAILED
    Notification.objects.filter(pk=note.pk).update(status=status, error=text,
                                                   permanent=error.permanent, response_code=error.code,
                                                   finished_at=now())
    Channel.objects.filter(pk=channel.pk).update(last_error=text, last_error_at=now())
    if error.permanent and disable:
        Channel.objects.filter(pk=channel.pk, enabled=True).update(
            enabled=False, disabled_at=now(), disabled_reason=f"Disabled after a permanent error: {text}")
    log.warning("alert notification %s to channel %s failed: %s", note.pk, channel.pk, text)
    return error


def alerts_sweep(now=None) -> int:
    """Close attempts that never finished, then re-queue each event not delivered
    COSTDASH_ALERT_RESEND_SECONDS after it was raised or last queued; returns how many were re-queued."""
    now = now or timezone.now()
    Notification.objects.filter(status=Notification.Status.SENDING, created_at__lt=now - STALE_SENDING).update(
        status=Notification.Status.UNKNOWN, finished_at=now,
        error="No outcome recorded: the worker stopped during the attempt (it may have been sent). It is tried "
              "again with the same idempotency key.")
    quiet = now - timedelta(seconds=settings.COSTDASH_ALERT_RESEND_SECONDS)
    waiting = AlertEvent.objects.filter(delivery_done_at=None, created_at__lte=quiet).filter(
        Q(enqueued_at=None) | Q(enqueued_at__lte=quiet)).order_by("pk").values_list("pk", flat=True)
    requeued = 0
    for event_id in waiting[:1000]:
        if event_deliver(event_id, quiet_since=quiet, now=now):
            requeued += 1
    return requeued
