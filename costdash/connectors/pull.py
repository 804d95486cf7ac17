"""One endpoint of one connection pulled into one ImportBatch, a page per transaction.

Each page is parsed by its source's parser and committed whole, in one transaction, with the
endpoint's cursor (where the next page starts, or the day now fetched) and the batch's counts,
and only while this run still holds the connection's claim. A run that dies loses at most the
page in flight; the next run resumes from the saved cursor, and a page written twice (the
trailing window) replaces its records by their natural keys, so nothing is counted twice.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
import io
import logging

from django.db import transaction
from django.utils import timezone

from costdash.accounts.models import OrgSettings
from costdash.accounts.services import IdentityMap
from costdash.ingest.aggregates import records_write
from costdash.ingest.models import ImportBatch
from costdash.ingest.parsers.base import ParseStats, Rejected
from costdash.pricing.services import rate_table

from .client import AdminApiClient, Page, PullError
from .endpoints import Endpoint, Range, first_day_to_fetch
from .models import AdminApiConnection, AdminApiCursor

log = logging.getLogger(__name__)
MAX_STORED_ERRORS = 500
BAD_CURSOR = 400  # the API refusing a saved cursor (expired, or its query changed)


class EndpointPull:
    """Fetches what an endpoint has not fetched yet (plus its trailing window) into ``self.batch``.

    ``heartbeat()`` runs inside every page's transaction: it raises when another run has taken
    the connection over, so that page is rolled back. ``progress(line)`` hears of every page.
    """

    def __init__(self, connection: AdminApiConnection, endpoint: Endpoint, client: AdminApiClient,
                 heartbeat: Callable[[], None], *, user=None, progress: Callable[[str], None] | None = None):
        self.connection, self.endpoint, self.client = connection, endpoint, client
        self.heartbeat, self.progress = heartbeat, progress
        self.parser = endpoint.parser()
        self.batch = ImportBatch.objects.create(
            source=endpoint.source, label=f"Admin API pull: {connection.name}"[:500], created_by=user,
            status=ImportBatch.Status.RUNNING, started_at=timezone.now(),
        )
        self.cursor, _ = AdminApiCursor.objects.get_or_create(connection=connection, endpoint=endpoint.name)
        self._save_cursor(last_batch=self.batch)
        self.identities = IdentityMap()
        self.table = rate_table()
        self.tz = OrgSettings.get().time_zone
        self.rejected: Counter = Counter()
        self.errors: list[dict] = []

    def run(self, today: date) -> None:
        """Finish a range a previous run left mid-way, then fetch the days after it up to ``today``
        (UTC); a run with nothing left over starts from the trailing window. Raises PullError."""
        cursor, resumed = self.cursor, bool(self.cursor.next_page)
        if resumed:
            saved = Range([tuple(pair) for pair in cursor.page_params], cursor.range_last_day)
            try:
                self._fetch(saved, page=cursor.next_page, number=cursor.page_number + 1)
            except PullError as exc:
                if exc.status != BAD_CURSOR:
                    raise
                log.warning("%s %s: the saved cursor was refused (%s); fetching its range again",
                            self.connection, self.endpoint.name, exc)
                self._save_cursor(next_page="", page_params=[], range_last_day=None, page_number=0)
                resumed = False
        start = self.connection.start_date
        if resumed:  # that range was fetched just now: go on after it, no trailing window again
            first = max(start, cursor.fetched_through + timedelta(days=1))
        else:
            first = first_day_to_fetch(cursor.fetched_through, start, today, self.endpoint.trailing_days)
        for query in self.endpoint.ranges(first, today) if first <= today else []:
            self._fetch(query)

    def _fetch(self, query: Range, page: str = "", number: int = 1) -> None:
        """Every page of one query from ``page`` (its first when empty), each committed as it comes."""
        while True:
            params = [*query.params, ("page", page)] if page else query.params
            result = self.client.page(self.endpoint.path, params)
            self._commit(query, result, number)
            if not result.has_more:
                return
            if result.next_page == page:
                raise PullError(f"{self.endpoint.label}: the API sent the same next_page again", permanent=False)
            page, number = result.next_page, number + 1

    def _commit(self, query: Range, page: Page, number: int) -> None:
        name = self._page_name(query, number)
        stats, records, rejected = ParseStats(), [], 0
        for item in self.parser.parse(io.BytesIO(page.body), name, stats):
            if isinstance(item, Rejected):
                self._reject(item)
                rejected += 1
            else:
                records.append((self.endpoint.source, item))
        with transaction.atomic():
            self.heartbeat()  # first: a run that lost its claim writes nothing more
            written = records_write(records, batch_id=self.batch.pk, identities=self.identities, table=self.table,
                                    tz=self.tz)
            b = self.batch
            b.records_new += written.new
            b.records_updated += written.updated
            b.records_unchanged += written.unchanged
            b.lines += stats.lines
            b.usage_lines += stats.usage_lines
            b.processed_bytes += len(page.body)
            b.files_read += 1  # a page is the pull's file
            self._add_unpriced(written.unpriced)
            if page.has_more:
                self._save_cursor(next_page=page.next_page, page_params=[list(p) for p in query.params],
                                  range_last_day=query.last_day, page_number=number)
            else:
                done = max(query.last_day, self.cursor.fetched_through or query.last_day)
                self._save_cursor(next_page="", page_params=[], range_last_day=None, page_number=0,
                                  fetched_through=done)
            self.save_counts()
        if self.progress:
            self.progress(
                f"{self.connection.name} {name}: {len(records)} records ({written.new} new, {written.updated} "
                f"updated, {written.unchanged} unchanged), {rejected} rejected"
            )

    def _page_name(self, query: Range, number: int) -> str:
        day = f" {query.last_day.isoformat()}" if self.endpoint.name == "claude_code" else ""
        return f"{self.endpoint.label}{day} page {number}"

    def _save_cursor(self, **fields) -> None:
        for name, value in fields.items():
            setattr(self.cursor, name, value)
        self.cursor.save(update_fields=[*fields, "updated_at"])

    def _reject(self, item: Rejected) -> None:
        self.rejected[item.reason] += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(item.as_dict())

    def _add_unpriced(self, unpriced: Counter) -> None:
        counts = Counter({u["model"]: u["requests"] for u in self.batch.unpriced_models}) + unpriced
        self.batch.unpriced_models = [{"model": m, "requests": n} for m, n in sorted(counts.items())]

    def save_counts(self) -> None:
        b = self.batch
        b.rejected = sum(self.rejected.values())
        b.rejected_by_reason = dict(self.rejected)
        b.errors = self.errors
        b.save()

    def finish(self, failure: str = "") -> ImportBatch:
        """Record the batch's outcome (``failure``: why it stopped, already free of secrets)."""
        self.batch.status = ImportBatch.Status.FAILED if failure else ImportBatch.Status.DONE
        self.batch.failure = failure
        self.batch.finished_at = timezone.now()
        self.save_counts()
        return self.batch
