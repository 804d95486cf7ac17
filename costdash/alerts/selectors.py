"""Alert reads for pages: who sees which alerts, and what each alert's delivery came to.

Admins and billing see every alert; anyone else only the alerts about the developer linked to
their login (accounts.roles). Anyone who sees an alert may acknowledge it.
"""
from __future__ import annotations

from django.db.models import QuerySet

from costdash.accounts import roles

from .models import AlertEvent, AlertRule, Notification


def alerts_visible_to(user) -> QuerySet[AlertEvent]:
    events = AlertEvent.objects.select_related("rule", "developer", "ack_by")
    if roles.sees_all_spend(user):
        return events
    return events.filter(developer__in=roles.developers_visible_to(user))


def delivery_summaries(events) -> dict[int, list[dict]]:
    """event id -> [{channel, status, attempts, error}] per channel, from its attempts (latest wins)."""
    out: dict[int, dict[int, dict]] = {}
    rows = Notification.objects.filter(event__in=[e.pk for e in events]).order_by("pk").values_list(
        "event_id", "channel_id", "channel__name", "status", "error")
    for event_id, channel_id, name, status, error in rows:
        entry = out.setdefault(event_id, {}).setdefault(channel_id, {"channel": name, "attempts": 0})
        entry.update(status=status, error=error, attempts=entry["attempts"] + 1)
    return {event_id: list(channels.values()) for event_id, channels in out.items()}


def event_routing(event: AlertEvent, now=None) -> list[dict]:
    """Where an alert goes, channel by channel (alerts.routing), and how far it got:
    [{"channel", "state", "text"}], state one of sent, failed, unknown, sending, held, digest, queued."""
    from django.utils import timezone

    from .routing import event_is_urgent, event_routes, quiet_until

    now = now or timezone.now()
    latest = {note.channel_id: note for note in Notification.objects.filter(event=event).order_by("pk")}
    out = []
    for channel in event_routes(event):
        note = latest.get(channel.pk)
        if channel.digest:
            state, text = "digest", f"in the {channel.digest} digest"
        elif note is not None:
            state, text = note.status, note.get_status_display().lower()
        elif not event_is_urgent(event) and (until := quiet_until(channel, now)) is not None:
            state, text = "held", f"held for the quiet hours, until {until:%H:%M}"
        else:
            state, text = "queued", "not sent yet" if event.delivery_done_at is None else "not sent"
        out.append({"channel": channel, "state": state, "text": text})
    return out


def rule_channel_names(rule: AlertRule) -> str:
    """What a page says a rule goes to: its chosen channels, or every channel."""
    chosen = [channel.name for channel in rule.channels.all()]
    return ", ".join(chosen) if chosen else "Every channel"
