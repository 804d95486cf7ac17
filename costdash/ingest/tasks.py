"""Celery tasks: thin wrappers over ingest.services."""
from celery import shared_task

from . import services


@shared_task(acks_late=True)
def import_batch_run(batch_id: int) -> str:
    """Run a queued upload's import; the batch row carries status, progress and errors."""
    return services.import_batch_run(batch_id).status
