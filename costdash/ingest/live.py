"""Live ingestion: ingest tokens, and writing records that arrive over HTTP.

Receivers write in the request's own transaction, so an accepted body is in the database
before the response says so; Celery only recomputes rollups afterwards (and the beat sweep
catches that if Redis is down), so nothing accepted is lost without Redis.

Under load every body touches the same few rows: today's DirtyDay of each developer it names, and
its token's counters. Updated inside the body's transaction, their row locks would be held through
its commit's WAL flush and serialise the workers, so the transaction only inserts the DirtyDay rows
that are missing (ON CONFLICT DO NOTHING takes no lock on an existing row), and after it commits a
second, small transaction stamps them marked now and adds to the token's counts. That one commits
without waiting for its WAL flush: locks are held for microseconds, and a database crash can lose
at most a few counts, never a mark a recompute relies on (WAL is replayed in order, so a later
recompute's delete of the row is lost with it). The stamp is what keeps a day from missing its
recompute when one was claiming it while the body was being written (rollups delete the rows they
claimed, marked before the claim).

Per process, for speed: a token is looked up at most every TOKEN_CACHE_SECONDS (revoking it here
takes effect at once; another process refuses it within that window), the org's time zone is read
at most every ORG_CACHE_SECONDS, and the rollup recompute is queued at most every
RECOMPUTE_PUBLISH_SECONDS (a recompute covers every dirty day, and the beat sweep catches up any
left); with Celery eager (the embedded default, and tests) it runs for every body.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
import threading
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from costdash.accounts.models import OrgSettings
from costdash.accounts.services import IdentityMap
from costdash.lib.dates import zone
from costdash.lib.rates import rate_hit
from costdash.lib.tokens import PREFIX_SHOWN, secret_digest, secret_new
from costdash.pricing.services import rate_table
from costdash.rollups.models import DirtyDay
from costdash.rollups.services import daily_cost_mark_dirty
from costdash.rollups.tasks import daily_cost_recompute_dirty, daily_cost_recompute_soon

from . import retention
from .failed_calls import failed_calls_write
from .import_run import entries_write, relax_commit_durability
from .models import IngestToken, Source
from .parsers.base import ParsedFailure, ParsedRequest, Rejected
from .rows import Entry, RowBuilder, keep_largest

TOKEN_PREFIX = "cdi_"
TOKEN_CACHE_SECONDS = 5.0
ORG_CACHE_SECONDS = 5.0
RECOMPUTE_PUBLISH_SECONDS = 1.0

_lock = threading.Lock()
_tokens: dict[tuple[str, str], tuple[float, IngestToken]] = {}  # (digest, kind) -> (read at, token)
_org_time_zone: tuple[float, str] | None = None
_expect_new = True  # the last live write of this process stored only new requests (LiveBatch.write)
_published_at = float("-inf")


def ingest_token_create(*, name: str, kind: str, developer=None, user=None) -> tuple[IngestToken, str]:
    """A new token and its secret, which is not stored and cannot be shown again."""
    raw, digest = secret_new(TOKEN_PREFIX)
    token = IngestToken.objects.create(
        name=name, kind=kind, developer=developer, created_by=user, prefix=raw[:PREFIX_SHOWN], digest=digest
    )
    return token, raw


def ingest_token_check(raw: str, kind: str) -> IngestToken | None:
    """The active token of this kind that ``raw`` is, or None. A token found is remembered for
    TOKEN_CACHE_SECONDS: revoked elsewhere, it is still accepted here that long at most. A push token whose
    developer's login is deactivated (accounts.members) is not active."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    key, now = (secret_digest(raw), kind), time.monotonic()
    held = _tokens.get(key)
    if held is not None and now - held[0] < TOKEN_CACHE_SECONDS:
        return held[1]
    token = (IngestToken.objects.filter(digest=key[0], kind=kind, revoked_at=None)
             .exclude(developer__user__is_active=False).first())
    with _lock:
        if token is None:
            _tokens.pop(key, None)
        else:
            _tokens[key] = (now, token)
    return token


def ingest_token_rate_wait(token: IngestToken) -> int | None:
    """Count one request of ``token``: None while within its kind's rate (settings.COSTDASH_INGEST_RATES), else
    the seconds until it may send again (costdash.lib.rates: counted across processes when the cache is Redis)."""
    rate = settings.COSTDASH_INGEST_RATES.get(token.kind)
    # The digest, not the id: ids start again in a new database, a counter must not be inherited.
    return None if rate is None else rate_hit(f"ingest:{token.digest[:24]}", rate)


def ingest_token_revoke(token: IngestToken) -> None:
    """Revoke a token; this process refuses it from now on (others within TOKEN_CACHE_SECONDS)."""
    from costdash.audit.services import audit_record

    now = timezone.now()
    if IngestToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=now):
        audit_record(token, "revoked", {"revoked_at": (None, now)})  # an update(): no save for auditlog to see
    with _lock:
        for key in [k for k, (_, held) in _tokens.items() if held.pk == token.pk]:
            del _tokens[key]


def org_time_zone() -> str:
    """OrgSettings.time_zone, read at most every ORG_CACHE_SECONDS in this process."""
    global _org_time_zone
    held, now = _org_time_zone, time.monotonic()
    if held is None or now - held[0] >= ORG_CACHE_SECONDS:
        held = _org_time_zone = (now, OrgSettings.get().time_zone)
    return held[1]


@dataclass
class LiveResult:
    new: int = 0
    updated: int = 0
    duplicates: int = 0
    conflicts: int = 0  # requests stored for someone else: kept as stored (ingest.conflicts)
    failed: int = 0  # failed calls received (ingest.failed_calls): errors, not requests, never billed
    rejected: list[Rejected] = field(default_factory=list)  # a run of lines rejected alike is one

    @property
    def rejected_count(self) -> int:
        """Every rejected line or record, each line of a run counted."""
        return sum(item.count for item in self.rejected)


def live_records_write(token: IngestToken, source: str, items: Iterable[ParsedRequest | Rejected]) -> LiveResult:
    """Price and store records that arrived live; rows name their people (a push token's
    transcripts belong to its developer). Counted on the token (see the module docstring).
    Failed calls (ParsedFailure) are stored as errors (ingest.failed_calls), counted in ``failed``."""
    batch = LiveBatch()
    result = batch.add(token, source, items)
    with transaction.atomic():
        written, failed = batch.write(token)
    live_marks_and_counts(token, written.dirty | failed.dirty, new=written.inserted, rejected=result.rejected_count)
    result.failed = failed.seen
    result.new, result.updated, result.duplicates = written.inserted, written.updated, written.duplicates
    result.conflicts = written.conflicts
    return result


class LiveBatch:
    """Records of one or more live bodies of one token, priced and held by dedupe key (the largest copy
    of a request wins), then written at once: ``add`` each body's items, ``write`` inside a transaction."""

    def __init__(self, builder: RowBuilder | None = None, identities: IdentityMap | None = None):
        self.builder = builder or RowBuilder(batch_id=None, table=rate_table(), tz_name=org_time_zone())
        self.identities = identities or IdentityMap()
        self.pending: dict[str, Entry] = {}
        self.failures: list = []

    def add(self, token: IngestToken, source: str, items: Iterable[ParsedRequest | Rejected]) -> LiveResult:
        """Price one body's items; its rejected records are in the result (counts are set by ``write``)."""
        result, identities, own = LiveResult(), self.identities, None
        items = list(items)
        frozen = retention.frozen_before(zone(self.builder.tz_name))
        if source != Source.CLAUDE_CODE_JSONL:
            identities.prefetch(source, {i.identity or i.email for i in items if not isinstance(i, Rejected)})
        for item in items:
            if isinstance(item, Rejected):
                result.rejected.append(item)
                continue
            if type(item) is ParsedFailure:
                self.failures.append((source, item))
                continue
            if source == Source.CLAUDE_CODE_JSONL:
                own = own or (token_identity(token), token.developer_id)  # looked up once a body
                identity_id, developer_id = own
            else:
                identity_id, developer_id = identities.resolve(source, item.identity, item.email)
            entry: Entry = self.builder.entry_for(item, source, developer_id, identity_id)
            if frozen is not None and entry[2] < frozen:  # its day's events are gone, its rollup final
                result.rejected.append(Rejected(source, 0, retention.REASON))
                continue
            keep_largest(self.pending, item.dedupe_key, entry)
        return result

    def write(self, token: IngestToken):
        """(entries written, failed calls written), inside the caller's transaction; days dirty marked
        by dirty_days_ensure (stamp them afterwards with live_marks_and_counts).

        Live records are nearly always new requests, so their COPY lines are copied straight into the
        events table (upsert._copy_new: half PostgreSQL's work a row) while the last write of this process
        stored only new requests; a write that met a stored key (an exporter's retry, a body sent twice)
        upserts through the staging table, and so does the next, as an import's flushes do."""
        global _expect_new
        written = entries_write(self.pending, mark_dirty=dirty_days_ensure, new=_expect_new, token_id=token.pk)
        _expect_new = written.inserted == len(self.pending)
        failed = failed_calls_write(self.failures, batch_id=None, identities=self.identities,
                                    tz=self.builder.tz_name, mark_dirty=dirty_days_ensure)
        return written, failed


def dirty_days_ensure(developer_days: Iterable[tuple]) -> None:
    """Inside a body's transaction: insert the DirtyDay rows that are missing, locking none that exist."""
    now = timezone.now()
    developer_days = retention.unfrozen(developer_days)
    rows = [DirtyDay(developer_id=dev, day=day, marked_at=now) for dev, day in sorted(set(developer_days))]
    DirtyDay.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def live_marks_and_counts(token: IngestToken, developer_days: set, *, new: int, rejected: int, bodies: int = 1) -> None:
    """After a body's transaction: mark its developer-days dirty as of now, count it on its token,
    and queue the rollup recompute (at most every RECOMPUTE_PUBLISH_SECONDS in this process)."""
    global _published_at
    own_transaction = not connection.in_atomic_block  # else part of the caller's, as it is
    with transaction.atomic():
        if own_transaction:
            relax_commit_durability()
        daily_cost_mark_dirty(developer_days)
        IngestToken.objects.filter(pk=token.pk).update(
            requests=F("requests") + bodies, events_new=F("events_new") + new, rejected=F("rejected") + rejected,
            last_used_at=timezone.now(),
        )
    now = time.monotonic()
    if daily_cost_recompute_dirty.app.conf.task_always_eager or now - _published_at >= RECOMPUTE_PUBLISH_SECONDS:
        _published_at = now
        daily_cost_recompute_soon()


def token_identity(token: IngestToken) -> int | None:
    """The transcript identity of a push token's developer."""
    from costdash.accounts.services import developer_for_email

    return developer_for_email(token.developer.email, source=Source.CLAUDE_CODE_JSONL)[1].pk
