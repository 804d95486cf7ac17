"""Celery tasks: thin wrappers over rollups.services."""
from celery import shared_task

from . import services


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def daily_cost_recompute_dirty() -> int:
    """Recompute every dirty developer-day (after an import commits, and on the beat sweep)."""
    return services.daily_cost_recompute_dirty()
