"""Beat and worker liveness, from one scheduled task (settings CELERY_BEAT_SCHEDULE "ops-heartbeat").

Beat publishes costdash.ops.tasks.ops_heartbeat every COSTDASH_HEARTBEAT_SECONDS; the publishing process
(beat) stamps "beat" as it sends it (Celery's before_task_publish signal), and the worker that runs it stamps
"worker". So a dead beat shows as an old "beat" stamp, and a dead, stuck or saturated worker (or a broker
that loses messages) as an old "worker" stamp while "beat" stays fresh.

Why not `celery inspect ping`: it broadcasts on the broker and waits out its timeout for every missing
worker (each health check would cost that timeout while a worker is down), it needs remote control, which
the folder broker of the embedded default has off, and it says nothing of beat. A row per part, written
every 30 s, is one UPDATE per beat tick and one indexed read per check.
"""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone

BEAT, WORKER = "beat", "worker"
TASK = "costdash.ops.tasks.ops_heartbeat"


def heartbeat_stamp(name: str, at: datetime | None = None) -> None:
    """Record that ``name`` is alive now (or at ``at``)."""
    from .models import Heartbeat

    Heartbeat.objects.update_or_create(name=name, defaults={"at": at or timezone.now()})


def heartbeat_ages(now: datetime | None = None) -> dict[str, float | None]:
    """Seconds since each part's last stamp; None for a part never seen."""
    from .models import Heartbeat

    now = now or timezone.now()
    seen = dict(Heartbeat.objects.values_list("name", "at"))
    return {name: (now - seen[name]).total_seconds() if name in seen else None for name in (BEAT, WORKER)}


def _on_publish(sender=None, **kwargs) -> None:
    if sender != TASK:
        return
    try:
        heartbeat_stamp(BEAT)
    except Exception:  # a database hiccup must never stop beat from publishing the schedule
        import logging

        logging.getLogger(__name__).warning("could not record beat's heartbeat", exc_info=True)


def connect() -> None:
    """Called once the Celery app is loaded (ops.apps)."""
    from celery.signals import before_task_publish

    before_task_publish.connect(_on_publish, weak=False, dispatch_uid="costdash.ops.beat_heartbeat")
