"""Who is changing things, and whether a change is a person's (recorded) or the system's (not).

A change is recorded when a person makes it: inside a web request that is not a safe method (a POST, PUT,
PATCH or DELETE; the Django admin's and the API's included) by a signed-in login, or inside ``acting_as(user)``
(a command or a service that names its user). It is not recorded when the system makes it: a Celery task (also
one run in-process from a request), a command, an import, the recompute, an alert raised, a connector's pull,
and anything done while serving a GET (a settings row created on first read).

The request's login is read when the change is logged, not when the request starts: the API authenticates by
token inside the view (DRF puts the token's user on the request then), after every middleware ran.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation

from auditlog import get_logentry_model
from auditlog.signals import pre_log
from django.core.exceptions import FieldDoesNotExist
from django.db.models import DecimalField
from django.db.models.signals import pre_save

from costdash.lib.celery_signals import on_celery_load

from .events import event_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_request: ContextVar = ContextVar("costdash_audit_request", default=None)
_acting: ContextVar = ContextVar("costdash_audit_acting", default=None)
_task_depth: ContextVar[int] = ContextVar("costdash_audit_task_depth", default=0)


class AuditMiddleware:
    """Keeps the request at hand for the audit trail while it is served (after AuthenticationMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


@contextmanager
def acting_as(user):
    """Record the changes made inside as ``user``'s (a command, a test, a service called outside a request)."""
    token = _acting.set(user)
    try:
        yield
    finally:
        _acting.reset(token)


def current_actor():
    """The login whose change this is, or None when the system is changing things (nothing is recorded)."""
    if _task_depth.get() > 0:
        return None
    user = _acting.get()
    if user is not None:
        return user
    request = _request.get()
    if request is None or request.method in SAFE_METHODS:
        return None
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def current_remote_addr() -> str | None:
    request = _request.get()
    return request.META.get("REMOTE_ADDR") if request is not None and _acting.get() is None else None


def _refuse_system_changes(sender, instance, action, **kwargs):
    """auditlog's pre_log: False (no entry) unless a person is changing things."""
    return current_actor() is not None


def _stamp_entry(sender, instance, **kwargs):
    """Every LogEntry gets its actor (and address) here, from the same rule that allowed it."""
    if instance.pk is not None:
        return
    if instance.actor_id is None:
        actor = current_actor()
        if actor is not None:
            instance.actor = actor
    if instance.actor is not None and not instance.actor_email:
        instance.actor_email = instance.actor.email or None
    if instance.remote_addr is None:
        instance.remote_addr = current_remote_addr()
    model = instance.content_type.model_class()
    if model is not None and isinstance(instance.changes, dict):
        instance.changes = _decimals_as_stored(model, instance.changes)
    data = instance.additional_data if isinstance(instance.additional_data, dict) else {}
    if "event" not in data:
        label = model._meta.label if model is not None else ""
        instance.additional_data = {**data, "event": event_of(label, instance.action, instance.changes)}


def _decimals_as_stored(model, changes: dict) -> dict:
    """A money or share field's values written alike before and after: as the column keeps them, with two
    places at least and no trailing zeros past them ("900.00" for the form's "900" and the row's "900.00";
    "0.0375")."""
    out = {}
    for name, change in changes.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        if isinstance(field, DecimalField) and isinstance(change, (list, tuple)) and len(change) == 2:
            change = [_places(value, field.decimal_places) for value in change]
        out[name] = change
    return out


def _places(value, places: int):
    if value in (None, ""):
        return value
    try:
        kept = Decimal(str(value)).quantize(Decimal(1).scaleb(-places)).normalize()
    except (InvalidOperation, ValueError):
        return value
    shown = min(places, max(2, -kept.as_tuple().exponent))
    return f"{kept:.{shown}f}"


def _task_starts(**kwargs):
    _task_depth.set(_task_depth.get() + 1)


def _task_ends(**kwargs):
    _task_depth.set(max(0, _task_depth.get() - 1))


def connect() -> None:
    pre_log.connect(_refuse_system_changes, dispatch_uid="costdash_audit_refuse_system_changes")
    pre_save.connect(_stamp_entry, sender=get_logentry_model(), dispatch_uid="costdash_audit_stamp_entry")
    on_celery_load(_connect_tasks)  # before any task runs, without importing Celery where none does


def _connect_tasks() -> None:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_starts, dispatch_uid="costdash_audit_task_starts", weak=False)
    task_postrun.connect(_task_ends, dispatch_uid="costdash_audit_task_ends", weak=False)
