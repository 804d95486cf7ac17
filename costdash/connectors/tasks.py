"""Celery tasks: thin wrappers over connectors.services."""
from costdash.celery import shared_task

from . import services


@shared_task(acks_late=True)
def admin_api_pull(connection_id: int) -> str:
    """Pull one Admin API connection (skipped while another run holds it); the batches record the outcome."""
    batches = services.admin_api_pull(connection_id)
    if batches is None:
        return "skipped: already running"
    return ", ".join(f"{b.source} {b.status}" for b in batches) or "nothing to pull"


@shared_task(acks_late=True)
def admin_api_pull_all() -> int:
    """The beat entry "admin-api-pull": queue a pull of every enabled connection."""
    return services.admin_api_pull_enqueue_all()
