"""Celery tasks: thin wrappers over alerts.evaluation and alerts.delivery. They take ids."""
from costdash.celery import shared_task

from . import delivery, evaluation


@shared_task(acks_late=True)
def alerts_evaluate() -> int:
    """The beat entry "alerts-evaluate": every rule over the lookback window; returns events raised."""
    return len(evaluation.alerts_evaluate())


@shared_task(acks_late=True)
def alerts_sweep() -> int:
    """The beat entry "alerts-sweep": re-queue events whose delivery was lost or is overdue."""
    return delivery.alerts_sweep()


@shared_task(acks_late=True)
def alert_deliver(event_id: int) -> list[int]:
    """Queue one notification task per channel the event is still to reach."""
    return delivery.event_deliver(event_id)


@shared_task(bind=True, acks_late=True, max_retries=None)
def alert_notify(self, event_id: int, channel_id: int) -> str:
    """Send one event to one channel; a transient error retries with exponential backoff (the attempt
    count in the database, not Celery's, decides when to give up). Run in-process (no Redis), it
    does not wait to retry inside the caller: the sweeper tries again."""
    outcome = delivery.notification_send(event_id, channel_id)
    if outcome == delivery.RETRY and not self.request.is_eager:
        raise self.retry(countdown=delivery.retry_delay(self.request.retries))
    return outcome


@shared_task(acks_late=True)
def alerts_digests() -> dict[int, str]:
    """The beat entry "alerts-digests": each digest channel's latest period, once (alerts.digests)."""
    from . import digests

    return digests.digests_send()
