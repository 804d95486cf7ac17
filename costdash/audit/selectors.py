"""Reading the audit trail: the filtered entries (page and API share AuditFilter) and each entry's before/after
as rows for a diff table."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from auditlog import get_logentry_model
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, QuerySet

from costdash.accounts.models import OrgSettings
from costdash.lib.dates import day_bounds

from .events import EVENTS
from .tracked import LABELS, tracked_models


@dataclass(frozen=True)
class AuditFilter:
    """Who (a login's username), what kind (a model's label, e.g. "limits.SpendLimit"), which event
    (events.EVENTS), and org-local days."""

    actor: str = ""
    kind: str = ""
    event: str = ""
    since: date | None = None
    until: date | None = None

    def apply(self, entries: QuerySet) -> QuerySet:
        if self.actor:
            entries = entries.filter(actor__username=self.actor)
        if self.kind:
            entries = entries.filter(content_type=kind_content_type(self.kind))
        if self.event:
            entries = entries.filter(additional_data__event=self.event)
        tz = OrgSettings.get().time_zone
        if self.since:
            entries = entries.filter(timestamp__gte=day_bounds(self.since, tz)[0])
        if self.until:
            entries = entries.filter(timestamp__lt=day_bounds(self.until, tz)[1])
        return entries


def audit_entries(filters: AuditFilter | None = None) -> QuerySet:
    """Entries newest first, with their actor and kind loaded."""
    entries = get_logentry_model().objects.select_related("actor", "content_type").order_by("-timestamp", "-pk")
    return (filters or AuditFilter()).apply(entries)


def audit_kinds() -> list[tuple[str, str]]:
    """(model label, name) of every kind of object the trail follows, by name."""
    return sorted(((model._meta.label, str(model._meta.verbose_name).capitalize()) for model in tracked_models()),
                  key=lambda kind: kind[1])


def kind_content_type(label: str) -> ContentType | None:
    """The content type of a followed model's label; None for anything else."""
    for model in tracked_models():
        if model._meta.label.lower() == label.lower():
            return ContentType.objects.get_for_model(model)
    return None


def audit_actors() -> list:
    """The logins that have entries, by name."""
    # One index probe per login (actor_id is indexed), not a DISTINCT over the whole trail.
    entries = get_logentry_model().objects.filter(actor_id=OuterRef("pk"))
    return list(get_user_model().objects.filter(Exists(entries)).order_by("username"))


def audit_events() -> list[str]:
    return list(EVENTS)


def kind_label(entry) -> str:
    model = entry.content_type.model_class()
    return model._meta.label if model is not None else f"{entry.content_type.app_label}.{entry.content_type.model}"


def kind_name(entry) -> str:
    model = entry.content_type.model_class()
    return str(model._meta.verbose_name).capitalize() if model is not None else entry.content_type.model


def event_name(entry) -> str:
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    return data.get("event") or entry.get_action_display()


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "(none)"
    return str(value)


def change_rows(entry) -> list[dict]:
    """The entry's changes as rows: field (its label), before, after; fields in name order."""
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    rows = []
    for field in sorted(changes):
        change = changes[field]
        if isinstance(change, dict):  # auditlog's m2m form (not written by costdash, read for completeness)
            before, after = ("", change.get("objects")) if change.get("operation") == "add" else \
                (change.get("objects"), "")
        else:
            before, after = change
        rows.append({"field": LABELS.get(field, field.replace("_", " ")), "before": _shown(before),
                     "after": _shown(after)})
    return rows
