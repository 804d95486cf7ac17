"""Celery tasks: thin wrappers over reports.services."""
from datetime import date

from celery import shared_task

from . import services


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=300, max_retries=5)
def reports_monthly_send(month: str = "") -> str:
    """Beat, on the 1st and 2nd of each month: e-mail last month's report to billing, once
    (``month``: YYYY-MM-DD of any day of another month). Returns the run's status, or "not due"."""
    run = services.monthly_report_send(date.fromisoformat(month) if month else None)
    return run.status if run else "not due"
