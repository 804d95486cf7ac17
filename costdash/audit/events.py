"""The one word or two an entry is filtered by ("created", "deactivated", "month closed"...): auditlog's action
(create, update, delete) made specific where the change says more, or the event an explicit entry names."""
from __future__ import annotations

CREATED, CHANGED, DELETED = "created", "changed", "deleted"

# Explicit entries (services.audit_record) name these.
ROLE_CHANGED = "role changed"
CHANNELS_CHANGED = "channels changed"
DEVELOPERS_MERGED = "developers merged"
DEACTIVATED, REACTIVATED = "deactivated", "reactivated"
DEVELOPER_LINKED = "developer linked"

EVENTS = [CREATED, CHANGED, DELETED, ROLE_CHANGED, CHANNELS_CHANGED, DEACTIVATED, REACTIVATED, "password changed",
          DEVELOPER_LINKED, "identity mapped", DEVELOPERS_MERGED, "revoked", "month closed", "month reopened"]


def event_of(label: str, action: int, changes: dict | None) -> str:
    """The event of an automatic entry on a model ``label`` (app_label.Model) with auditlog ``action``."""
    changes = changes or {}
    if label == "reports.MonthClose":
        if action == 0:
            return "month closed"
        if "reopened_at" in changes and _after(changes["reopened_at"]):
            return "month reopened"
    if action == 0:
        return CREATED
    if action == 2:
        return DELETED
    if label == "auth.User":
        if "is_active" in changes:
            return REACTIVATED if _after(changes["is_active"]) in (True, "True") else DEACTIVATED
        if set(changes) == {"password"}:
            return "password changed"
    if label == "accounts.Identity" and "developer" in changes:
        return "identity mapped"
    if label == "accounts.Developer" and set(changes) == {"user"}:
        return DEVELOPER_LINKED
    if label in ("api.ApiToken", "ingest.IngestToken") and "revoked_at" in changes and _after(changes["revoked_at"]):
        return "revoked"
    return CHANGED


def _after(change):
    return change[1] if isinstance(change, (list, tuple)) and len(change) == 2 else None
