"""Alert writes: raise events (once per rule, subject and day), acknowledge them, save channels and rules."""
from __future__ import annotations

from collections.abc import Iterable
import logging

from django.db import transaction
from django.utils import timezone

from costdash.lib.queue import enqueue

from .kinds import Finding
from .models import AlertEvent, AlertRule, Channel
from .transports import TRANSPORTS

log = logging.getLogger(__name__)


def events_raise(findings: Iterable[Finding]) -> list[AlertEvent]:
    """An AlertEvent per finding whose (rule, subject, day) has none yet; returns those created here.

    The unique key decides: concurrent evaluations of the same day all try, one insert lands, and
    only its caller queues delivery (after commit). An event is never updated or deleted by a later
    evaluation, so a day that falls back under keeps its one event and crossing again adds none.
    """
    findings = list(findings)
    if not findings:
        return []
    existing = set(
        AlertEvent.objects.filter(
            rule_id__in={f.rule.pk for f in findings}, day__in={f.day for f in findings},
            subject_key__in={f.subject_key for f in findings},
        ).values_list("rule_id", "subject_key", "day")
    )
    created = []
    for f in findings:
        if (f.rule.pk, f.subject_key, f.day) in existing:
            continue
        event, is_new = AlertEvent.objects.get_or_create(
            rule=f.rule, subject_key=f.subject_key, day=f.day,
            defaults={"developer_id": f.developer_id, "figure": f.figure, "threshold": f.threshold,
                      "summary": f.summary, "link": f.link},
        )
        existing.add((f.rule.pk, f.subject_key, f.day))
        if is_new:
            created.append(event)
            transaction.on_commit(lambda pk=event.pk: delivery_enqueue(pk))
    return created


def delivery_enqueue(event_id: int) -> None:
    """Queue an event's delivery; if the broker cannot be reached the sweeper queues it later. Run
    after a commit (by imports, recomputes): a delivery problem never fails its caller."""
    from .tasks import alert_deliver

    try:
        enqueue(alert_deliver, event_id, what=f"delivery of alert {event_id}")
    except Exception:  # in-process delivery (no Redis) runs here; the event is saved, the sweeper retries
        log.exception("delivery of alert %s failed; the sweeper will try again", event_id)


def event_acknowledge(event_id: int, user, note: str) -> bool:
    """Acknowledge an open event with a note (compare-and-swap: the first acknowledgement stands)."""
    return bool(AlertEvent.objects.filter(pk=event_id, state=AlertEvent.State.OPEN).update(
        state=AlertEvent.State.ACKNOWLEDGED, ack_note=note.strip(), ack_by=user, ack_at=timezone.now()))


def channel_save(channel: Channel, config: dict, user=None) -> Channel:
    """Save a channel with its (encrypted) settings. Saving it enabled clears why it was disabled."""
    channel.set_config(config)
    channel.hint = TRANSPORTS[channel.kind].hint(config)[:300]
    if channel.enabled:
        channel.disabled_reason, channel.disabled_at = "", None
    if channel.pk is None:
        channel.created_by = user
    channel.save()
    return channel


def rule_save(rule: AlertRule, user) -> AlertRule:
    rule.owner = user
    if not rule.kind_def.uses_window:
        rule.window_days = 7
    if rule.kind_def.unit is None:
        rule.threshold = None
    rule.save()
    return rule
