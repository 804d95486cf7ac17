"""Explicit audit entries, for what is not one model's save: a merge, a role (group) change, a login
deactivated by a queryset update. Automatic entries (a tracked model's save or delete) need no call."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from auditlog import get_logentry_model

from .actor import current_actor


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(item) for item in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (Decimal, date, datetime)):
        return str(value)
    return str(value)


def audit_record(obj, event: str, changes: dict, *, actor=None):
    """Record ``event`` (events.py) on ``obj`` with ``changes`` {field: (before, after)} as ``actor`` (default:
    the person changing things, actor.current_actor). Fields whose before equals their after are left out.
    Nothing is recorded when the system is acting (no actor). Never pass a secret: values are stored as given.
    Returns the entry or None."""
    actor = actor or current_actor()
    if actor is None:
        return None
    LogEntry = get_logentry_model()
    recorded = {field: [_plain(before), _plain(after)] for field, (before, after) in changes.items()
                if _plain(before) != _plain(after)}
    return LogEntry.objects.log_create(obj, force_log=True, action=LogEntry.Action.UPDATE, changes=recorded,
                                       actor=actor, additional_data={"event": event})
