"""Handlers of Celery's signals, connected when the Celery app loads (costdash.celery) instead of when Django
starts: a process that never queues or runs a task (`manage.py import_usage` over unchanged files, `migrate`)
then never imports Celery, a tenth of a second of a command's start.

Every process that queues or runs a task has the app loaded first: a worker or beat by `celery -A costdash`
(before Django starts), anything else by importing a tasks module (they take ``shared_task`` from
costdash.celery). So a handler registered here from an app's ready() is connected before the first task is
published or run, whichever of the two loads first.
"""
from __future__ import annotations

from collections.abc import Callable

_pending: list[Callable[[], None]] = []
_loaded = False


def on_celery_load(connect: Callable[[], None]) -> None:
    """Call ``connect`` once the Celery app is loaded: now if it is, else when costdash.celery is imported."""
    if _loaded:
        connect()
    else:
        _pending.append(connect)


def celery_loaded() -> None:
    """Called by costdash.celery once its app exists: connect what was waiting for it."""
    global _loaded
    _loaded = True
    while _pending:
        _pending.pop(0)()
