"""Celery tasks: thin wrappers over ingest.services."""
from costdash.celery import shared_task

from . import services, sweep


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


@shared_task(acks_late=True)
def import_batches_sweep() -> dict:
    """The beat entry "imports-sweep": queue again pending uploads whose run was lost, fail running
    imports whose worker stopped (ingest.sweep); a failure is alerted on now, not at the next check."""
    result = sweep.import_batches_sweep()
    if result.failed:
        from costdash.alerts.evaluation import alerts_evaluate

        alerts_evaluate()
    return {"queued": result.queued, "failed": result.failed}


@shared_task(acks_late=True)
def received_bodies_process() -> dict:
    """Turn the bodies the live receivers stored into events, batch after batch (ingest.received)."""
    from .received import received_drain

    outcome = received_drain()
    return {"bodies": outcome.bodies, "done": outcome.done, "failed": outcome.failed, "records": outcome.records}


@shared_task(acks_late=True)
def received_bodies_sweep() -> dict:
    """The beat entry "received-sweep": stale claims given back, a drain queued when bodies wait (ingest.received)."""
    from .received import received_sweep

    result = received_sweep()
    return {"released": result.released, "failed": result.failed, "waiting": result.waiting,
            "deleted": result.deleted}


@shared_task(acks_late=True)
def usage_partitions_maintain() -> dict:
    """The beat entry "usage-partitions": month partitions created ahead (PostgreSQL, ingest.partitions), then raw
    events older than the retention removed (ingest.retention)."""
    from django.conf import settings

    from . import partitions, retention

    created = partitions.partitions_ensure(settings.COSTDASH_USAGE_PARTITIONS_AHEAD) if partitions.partitioned() else []
    report = retention.retention_apply()
    return {"created": created, "dropped": [p.name for p in report.partitions if not report.waiting],
            "rows_deleted": report.rows_deleted, "waiting": report.waiting}
