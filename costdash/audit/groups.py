"""Many-to-many changes a person makes: a login's role groups and an alert rule's channels. One entry per
object and field per transaction, with the whole list before and after (a role change removes one group and
adds another: one "role changed" entry, not two). auditlog's own m2m logging is not used: it records the
system's changes as well (a sign-in mapping groups), and only the objects added or removed."""
from __future__ import annotations

from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import m2m_changed

from . import events
from .actor import current_actor
from .services import audit_record

PENDING = "_costdash_audit_m2m_before"
FIELD_EVENTS = {"groups": (events.ROLE_CHANGED, "roles"), "channels": (events.CHANNELS_CHANGED, "channels")}


def _names(instance, field: str) -> list[str]:
    return sorted(str(related) for related in getattr(instance, field).all())


def _changed(sender, instance, action, reverse, *, field: str, **kwargs) -> None:
    if reverse or instance.pk is None:
        return
    actor = current_actor()
    if actor is None:
        return
    pending = instance.__dict__.setdefault(PENDING, {})
    if action.startswith("pre_") and field not in pending:
        pending[field] = [_names(instance, field), False]
    elif action.startswith("post_") and field in pending and not pending[field][1]:
        pending[field][1] = True  # the flush is queued once; it reads the list as it is then
        transaction.on_commit(partial(_flush, instance, field, actor))


def _flush(instance, field: str, actor) -> None:
    before, _ = instance.__dict__.get(PENDING, {}).pop(field, (None, None))
    if before is None:
        return
    after = _names(instance, field)
    if before != after:
        event, name = FIELD_EVENTS.get(field, (events.CHANGED, field))
        audit_record(instance, event, {name: (before, after)}, actor=actor)


def follow_m2m(model, field_names) -> None:
    for name in field_names:
        through = model._meta.get_field(name).remote_field.through
        m2m_changed.connect(partial(_changed, field=name), sender=through, weak=False,
                            dispatch_uid=f"costdash_audit_m2m_{model._meta.label}_{name}")


def follow_user_groups() -> None:
    follow_m2m(get_user_model(), ["groups"])
