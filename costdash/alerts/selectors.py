"""Alert reads for pages: who sees which alerts, and what each alert's delivery came to.

Admins and billing see every alert; anyone else only the alerts about the developer linked to
their login (accounts.roles). Anyone who sees an alert may acknowledge it.
"""
from __future__ import annotations

from django.db.models import QuerySet

from costdash.accounts import roles

from .models import AlertEvent, Notification


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
