"""Admin API connections: save them (key encrypted), claim one run at a time, pull, queue pulls.

A pull is harmless to run twice: one run at a time holds a connection (compare-and-swap on
``running_since``), every page commits with the cursor that says what comes next, and records
replace their stored copies by natural key. Failures are data: each endpoint's ImportBatch says
how it ended, and the connection's ``last_error`` says why the last run did not succeed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from costdash.ingest.models import ImportBatch
from costdash.lib.encryption import SecretUnreadable
from costdash.lib.http import secret_may_go_to
from costdash.lib.queue import enqueue
from costdash.rollups.tasks import daily_cost_recompute_soon

from .client import AdminApiClient, PullError, RetryPolicy
from .endpoints import ENDPOINTS
from .models import AdminApiConnection, AdminApiCursor
from .pull import EndpointPull

log = logging.getLogger(__name__)
# A run refreshes its claim with every page it commits; one silent for this long has died.
STALE_AFTER = timedelta(minutes=30)
RESTART_FIELDS = ("start_date", "base_url")  # changing one starts the backfill again
NO_KEY = ("No admin key is stored (changing the base URL clears it): nothing was sent. Edit the connection and "
          "enter the key again.")


class ClaimLost(PullError):
    def __init__(self):
        super().__init__("another run took this connection over (this one was silent too long)", permanent=True)


@dataclass
class Claim:
    connection_id: int
    since: datetime

    def heartbeat(self) -> None:
        """Refresh the claim; ClaimLost if another run has taken it (the caller's transaction rolls back)."""
        now = timezone.now()
        if not AdminApiConnection.objects.filter(pk=self.connection_id, running_since=self.since).update(
            running_since=now
        ):
            raise ClaimLost()
        self.since = now


def connection_claim(connection_id: int) -> Claim | None:
    """Take a connection for one run, or None while another run holds it (and is not stale)."""
    now = timezone.now()
    free = Q(running_since__isnull=True) | Q(running_since__lt=now - STALE_AFTER)
    if AdminApiConnection.objects.filter(free, pk=connection_id).update(running_since=now):
        return Claim(connection_id, now)
    return None


def connection_save(connection: AdminApiConnection, *, admin_key: str = "", changed: list[str] = ()):
    """Save a connection; ``admin_key`` replaces the stored key (blank: keep it). ``changed`` names
    the fields the form changed: a new start date or base URL drops the cursors (a new backfill).
    A new base URL without a new key clears the stored key: a key entered for one address is never
    sent to another (the connection does not pull until the key is entered again)."""
    if admin_key:
        connection.set_admin_key(admin_key)
    elif connection.pk and "base_url" in changed:
        connection.clear_admin_key()
    if not connection.pk and not connection.key_ciphertext:
        raise ValueError("a new connection needs an admin key")
    with transaction.atomic():
        connection.save()
        if set(changed) & set(RESTART_FIELDS):
            AdminApiCursor.objects.filter(connection=connection).delete()
    return connection


def admin_api_pull(
    connection_id: int,
    *,
    retry: RetryPolicy | None = None,
    user=None,
    progress: Callable[[str], None] | None = None,
    today: date | None = None,
) -> list[ImportBatch] | None:
    """Pull every endpoint the connection has switched on, one ImportBatch each, up to ``today``
    (UTC, default now). None when another run holds the connection.

    A permanent error (bad key, no access) stops the run; a transient one that outlasts the
    retries fails that endpoint's batch and the run goes on to the next. Either way the pages
    already committed stay, the next run resumes after them, and ``last_error`` says what went
    wrong (never with the key in it). The rollup of touched days is queued.
    """
    claim = connection_claim(connection_id)
    if claim is None:
        log.info("Admin API connection %s is being pulled by another run: skipped", connection_id)
        return None
    connection = AdminApiConnection.objects.get(pk=connection_id)
    batches: list[ImportBatch] = []
    errors: list[str] = []
    try:
        refusal = pull_refusal(connection)
        if refusal:
            errors.append(refusal)  # nothing is sent: no key, or an address the key may not go to
            return batches
        try:
            client = AdminApiClient(connection.base_url, connection.admin_key(), retry)
        except SecretUnreadable as exc:
            errors.append(str(exc))
            return batches
        for name in connection.endpoint_names:
            pull = EndpointPull(connection, ENDPOINTS[name], client, claim.heartbeat, user=user, progress=progress)
            batches.append(pull.batch)
            if not _endpoint_run(pull, client, today or timezone.now().date(), errors):
                break
        return batches
    finally:
        _release(claim, errors)
        daily_cost_recompute_soon()


def pull_refusal(connection: AdminApiConnection) -> str:
    """Why the connection cannot be pulled without sending anything, or "" when it can."""
    if not connection.key_ciphertext:
        return NO_KEY
    if not secret_may_go_to(connection.base_url):
        return (f"The base URL {connection.base_url} is not https: the admin key is never sent over plain http. "
                "Edit the connection and enter an https address and the key.")
    return ""


def _endpoint_run(pull: EndpointPull, client: AdminApiClient, today: date, errors: list[str]) -> bool:
    """Run one endpoint's pull and finish its batch; False when the whole run must stop."""
    try:
        pull.run(today)
    except PullError as exc:
        failure = client.redact(str(exc))
        log.warning("Admin API pull %s %s failed: %s", pull.connection, pull.endpoint.name, failure)
        pull.finish(failure)
        errors.append(f"{pull.endpoint.label}: {failure}")
        return not exc.permanent
    except Exception as exc:
        failure = client.redact(f"{type(exc).__name__}: {exc}")
        pull.finish(failure)
        errors.append(f"{pull.endpoint.label}: {failure}")
        raise
    pull.finish()
    return True


def _release(claim: Claim, errors: list[str]) -> None:
    """Record the run's outcome and free the connection (unless another run took it over)."""
    now = timezone.now()
    fields = {"running_since": None, "last_run_at": now, "last_error": "\n".join(errors)[:5000]}
    if not errors:
        fields["last_success_at"] = now
    AdminApiConnection.objects.filter(pk=claim.connection_id, running_since=claim.since).update(**fields)


def admin_api_pull_enqueue(connection_id: int) -> bool:
    """Queue a pull of one connection; False when the broker cannot be reached."""
    from .tasks import admin_api_pull as task

    return enqueue(task, connection_id, what=f"the Admin API pull of connection {connection_id}")


def admin_api_pull_enqueue_all() -> int:
    """Queue a pull of every enabled connection (the beat entry); returns how many were queued."""
    ids = AdminApiConnection.objects.filter(enabled=True).values_list("pk", flat=True)
    return sum(admin_api_pull_enqueue(pk) for pk in list(ids))
