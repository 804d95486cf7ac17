"""Celery tasks: thin wrappers over rollups.services."""

from django.db import transaction
from django.utils import timezone

from costdash.alerts.evaluation import alerts_evaluate, alerts_evaluate_recomputed
from costdash.celery import shared_task
from costdash.lib.queue import enqueue
from costdash.ratelimits.minutes import minute_days_refresh_all

from . import services
from .models import DirtyDay


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def daily_cost_recompute_dirty() -> int:
    """Recompute every dirty developer-day (after an import commits, and on the beat sweep), then run
    the alert rules over the developer-days it wrote. A day that fails is recorded and alerted on,
    and does not fail the task (rollups.failures): the other days are written."""
    started = timezone.now()
    recomputed = services.daily_cost_recompute_dirty()
    if recomputed:
        alerts_evaluate_recomputed(started)
    if DirtyDay.objects.filter(failed_at__gte=started).exists():
        alerts_evaluate(pairs=set())  # the kinds run on a recompute: "Rollup failed" is raised now
    minute_days_refresh_all()  # the Rate limits page's days (ratelimits.minutes), so no page waits for them
    return recomputed


def daily_cost_recompute_soon() -> None:
    """Queue a recompute once the current transaction commits.

    The dirty days are already in the database, so if the broker cannot be reached the beat
    sweep recomputes them later: the data that was written is never lost or refused for it.
    """

    transaction.on_commit(lambda: enqueue(daily_cost_recompute_dirty, what="the rollup recompute"))
