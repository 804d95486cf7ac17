"""Celery tasks: thin wrappers over ingest.services."""
from celery import shared_task

from . import services


@shared_task(acks_late=True)
def import_batch_run(batch_id: int) -> str:
    """Run a queued upload's import; the batch row carries status, progress and errors."""
    return services.import_batch_run(batch_id).status


@shared_task(acks_late=True)
def usage_events_reprice(models: list[str] | None = None) -> int:
    """Reprice events after a price change, then recompute the days whose cost moved."""
    changed = services.usage_events_reprice(models)
    if changed:
        from costdash.rollups.tasks import daily_cost_recompute_dirty

        daily_cost_recompute_dirty.delay()  # in a worker already: a broker error retries this task
    return changed
