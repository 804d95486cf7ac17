"""Queueing a task without making the caller depend on the broker.

The database is the truth and Celery the trigger (design.md): whatever a task would work on is
already saved when it is queued, so a broker that cannot be reached is logged, not raised, and a
beat sweep finds the saved work later.
"""
import logging

log = logging.getLogger(__name__)


def enqueue(task, *args, what: str) -> bool:
    """``task.delay(*args)``; False (logged, naming ``what``) when the broker cannot be reached."""
    from kombu.exceptions import OperationalError  # here: a process that queues nothing never loads kombu

    try:
        task.delay(*args)
    except OperationalError as exc:
        log.warning("could not queue %s (%s); the beat's sweep will", what, exc)
        return False
    return True
