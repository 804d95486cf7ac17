"""What an alert says, the same on every channel: the rule, whom it is about, the day, the figure,
the threshold, and an absolute link (COSTDASH_BASE_URL) to the page that explains it."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from costdash.lib.money import decimal_str

from .kinds.base import format_figure, month_label
from .models import AlertEvent, Channel
from .transports import Message


def absolute(path: str) -> str:
    return f"{settings.COSTDASH_BASE_URL}{path}"


def event_day_label(event: AlertEvent) -> str:
    """The day as people read it: a monthly kind's day is its month."""
    return month_label(event.day) if event.rule.kind_def.monthly else f"{event.day:%Y-%m-%d}"


def alert_idempotency_key(event_id: int) -> str:
    """What every attempt at one alert carries, on every channel, for receivers to dedupe on."""
    return f"costdash-alert-{event_id}"


def event_message(event: AlertEvent) -> Message:
    rule, kind = event.rule, event.rule.kind_def
    unit = kind.figure_unit
    developer = event.developer
    who = f"{developer.display_name} <{developer.email}>" if developer else "—"
    figure, threshold = format_figure(event.figure, unit), format_figure(event.threshold, unit)
    url = absolute(event.link)
    alerts_url = absolute(reverse("alerts:detail", args=[event.pk]))
    day = event_day_label(event)
    subject = f"[costdash] {rule}: {developer.display_name + ', ' if developer else ''}{day}"
    if event.figure is not None:
        subject += f" ({figure}"
        subject += f" vs {threshold})" if event.threshold is not None else ")"
    text = "\n".join([
        event.summary, "",
        f"Rule:      {rule} ({rule.scope_label})",
        f"Developer: {who}",
        f"Day:       {day}",
        f"Figure:    {figure}",
        f"Threshold: {threshold}",
        "", f"Why and how it adds up: {url}",
        f"Acknowledge it: {alerts_url}",
    ])
    payload = {
        "event": event.pk, "kind": rule.kind, "rule": {"id": rule.pk, "name": str(rule), "scope": rule.scope},
        "subject": event.subject_key, "day": event.day.isoformat(),
        "developer": {"id": developer.pk, "email": developer.email, "name": developer.display_name}
        if developer else None,
        "figure": decimal_str(event.figure), "threshold": decimal_str(event.threshold),
        "unit": unit, "summary": event.summary, "url": url, "alert_url": alerts_url,
        "created_at": event.created_at.isoformat(), "test": False,
    }
    return Message(subject=subject, text=text, headline=event.summary, url=url, payload=payload,
                   developer_email=developer.email if developer else "", event_id=event.pk,
                   idempotency_key=alert_idempotency_key(event.pk))


def test_message(channel: Channel, user) -> Message:
    url = absolute(reverse("alerts:channels"))
    when = timezone.now()
    line = f"A test from costdash: alerts sent to {channel.name} arrive. Sent by {user.get_username()}."
    payload = {"event": None, "kind": "test", "summary": line, "url": url, "created_at": when.isoformat(),
               "test": True}
    return Message(subject=f"[costdash] Test of {channel.name}", text=f"{line}\n\nChannels: {url}", headline=line,
                   url=url, payload=payload, developer_email=user.email or "",  # the sender, as the developer
                   idempotency_key=f"costdash-test-{uuid.uuid4().hex}")  # each test its own
