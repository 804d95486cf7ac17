"""Live bodies taken in a burst: stored as sent before the answer, turned into events by a worker in batches.

The receivers (receivers.py, push.py) check what is cheap (the token and its rate, the size as sent and
inflated, the encoding, the content type, JSON or protobuf well-formedness and the structure caps) and
then make ONE insert: a ReceivedBody row holding the body as sent (gzip stays gzip). With a broker
(REDIS_URL) they answer at once and queue ``received_bodies_process``; without one (the embedded
default, Celery eager) the body is processed in the request, in the same transaction as its insert, and
the answer carries its counts as before.

The worker (``received_drain``):

1. claims up to COSTDASH_RECEIVED_BATCH_BODIES pending bodies, oldest first, in a short transaction
   (``SELECT … FOR UPDATE SKIP LOCKED``, so workers never wait for each other or take the same body):
   state ``claimed``, a claim id of its own, ``attempts`` + 1;
2. in one transaction locks the bodies it claimed (still ``claimed`` with its claim id: a claim the sweep
   gave back, and someone else took, is not touched), parses them, writes the records of all bodies of a
   token with one upsert (the COPY path, records deduplicated as for every other source) and marks the
   bodies ``done`` with their counts and rejected records. A crash anywhere before the commit leaves no
   event and no ``done``; after it, both. A body is never counted twice and never lost.
3. After the commit the developer-days are stamped dirty and the tokens counted (live.live_marks_and_counts).

A body that cannot be read (a bug, a record over the cap) is ``failed`` with the reason; if the batch's
write fails, its bodies are tried one at a time, so one bad body does not hold the rest.

The beat's "received-sweep" (every COSTDASH_RECEIVED_SWEEP_SECONDS) gives back claims older than
COSTDASH_RECEIVED_CLAIM_SECONDS whose worker died (a live one holds its rows locked: ``SKIP LOCKED``
passes them by), fails a body claimed COSTDASH_RECEIVED_MAX_ATTEMPTS times, queues the worker when bodies
wait, and deletes done bodies older than COSTDASH_RECEIVED_KEEP_DAYS.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import gc
import io
import logging
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
import orjson
import psycopg

from costdash.accounts.services import IdentityMap
from costdash.lib.bodies import READ, BodyError, inflate
from costdash.lib.queue import enqueue
from costdash.lib.redis_cache import cache_add
from costdash.pricing.services import rate_table

from .import_run import relax_commit_durability
from .live import LiveBatch, LiveResult, live_marks_and_counts, org_time_zone
from .live_metrics import LiveMetricsResult, live_metrics_write
from .models import IngestToken, ReceivedBody, Source
from .parsers import claude_code_jsonl, litellm_payload, otel_logs, otel_metrics
from .parsers.base import ParseStats
from .rows import RowBuilder
from .tasks import received_bodies_process  # imported with this module: registered before any app.close()

log = logging.getLogger(__name__)
Kind, State = ReceivedBody.Kind, ReceivedBody.State
QUEUED_FLAG = "ingest:received:queued"  # set while a drain is queued and not started: one queued at a time
REASONS_KEPT = 20
SOURCES = {Kind.OTLP_LOGS: otel_logs.SOURCE, Kind.LITELLM: litellm_payload.SOURCE,
           Kind.PUSH: Source.CLAUDE_CODE_JSONL}


@dataclass
class BodyResult:
    """What one body became: ``live`` for requests (logs, LiteLLM, push), ``metrics`` for metrics."""

    live: LiveResult | None = None
    metrics: LiveMetricsResult | None = None
    rejected_count: int = 0  # every rejected record, those past MAX_REJECTED_KEPT included
    usage_lines: int = 0  # LiteLLM: lines that held usage (none, and all rejected: a 400 in the request)
    error: str = ""


@dataclass
class Outcome:
    bodies: int = 0
    done: int = 0
    failed: int = 0
    records: int = 0
    results: dict[int, BodyResult] = field(default_factory=dict)


def deferred() -> bool:
    """True with a broker: bodies are processed by a worker, not in the request."""
    from costdash.celery import app

    return not app.conf.task_always_eager


def received_store(token: IngestToken, kind: str, data: bytes, *, encoding: str, content_type: str,
                   name: str = "") -> int:
    """The one insert of a body (autocommit: durable before the answer), and the drain queued; its id."""
    values = (kind, token.pk, content_type[:64], encoding, name, data, len(data), timezone.now())
    if connection.vendor == "postgresql":
        pk = _insert_postgresql(values)
    else:
        pk = ReceivedBody.objects.create(**dict(zip(INSERT_FIELDS, values, strict=True))).pk
    received_queue()
    return pk


INSERT_FIELDS = ("kind", "token_id", "content_type", "encoding", "name", "data", "size", "received_at")
# The body as a binary parameter (%b: no hex text of it built here and parsed there; half the database's CPU of
# Django's client-side literal), the other columns at their model defaults.
INSERT_SQL = (f"INSERT INTO {ReceivedBody._meta.db_table} ({', '.join(INSERT_FIELDS)}, state, attempts, error, "
              "records, rejected, reasons) VALUES (%s, %s, %s, %s, %s, %b, %s, %s, 'pending', 0, '', 0, 0, '[]') "
              "RETURNING id")


def _insert_postgresql(values: tuple) -> int:
    """INSERT_SQL on the request's connection with a server-binding cursor (Django's are client-side).

    Django's connection health check (CONN_HEALTH_CHECKS: a ``SELECT 1`` round trip before a request's first
    query) is left out: the insert itself finds a connection that died while idle (a server restart, an idle
    timeout), which is then replaced and the insert made once more: a dead connection sent nothing, so nothing
    is stored twice. Inside a transaction (tests, the embedded path) it is simply part of it."""
    for attempt in (1, 2):
        connection.ensure_connection()
        raw = connection.connection
        try:
            with psycopg.Cursor(raw) as cursor:
                cursor.execute(INSERT_SQL, values)
                return cursor.fetchone()[0]
        except psycopg.Error as exc:
            if attempt == 2 or not raw.broken or connection.in_atomic_block:
                connection.errors_occurred = True  # checked (and closed if unusable) when the request ends
                raise
            log.warning("received body: the database connection was closed (%s); inserting on a new one", exc)
            connection.close()
    raise AssertionError("unreachable")


def received_now(token: IngestToken, kind: str, data: bytes, *, encoding: str, content_type: str,
                 name: str = "") -> BodyResult:
    """The embedded default: insert the body and process it in one transaction (a failure stores neither
    and is raised, a BodyError becoming its 4xx); its result for the answer."""
    claim = uuid.uuid4()
    outcome = received_process(claim, strict=True, new=ReceivedBody(
        kind=kind, token=token, data=data, size=len(data), encoding=encoding, content_type=content_type[:64],
        name=name, received_at=timezone.now(), state=State.CLAIMED, claim=claim, claimed_at=timezone.now(),
        attempts=1))
    return next(iter(outcome.results.values()))


QUEUED_RECHECK_SECONDS = 0.1
_queued_seen_at = float("-inf")  # when this process last found the flag set (or set it): time.monotonic()


def received_queue(*, always: bool = False) -> None:
    """Queue a drain unless one is queued and not yet started (a cache flag, cleared when it starts).

    A process that found the flag set (or set it) less than QUEUED_RECHECK_SECONDS ago does not look again
    (a Redis round trip a request in a burst), unless ``always``: a drain that cleared that flag afterwards
    does not stop before QUEUED_RECHECK_SECONDS have passed since it cleared it, so it still finds every body
    stored meanwhile (received_drain)."""
    global _queued_seen_at
    now = time.monotonic()
    if not always and now - _queued_seen_at < QUEUED_RECHECK_SECONDS:
        return
    if cache_add(QUEUED_FLAG, 1, timeout=settings.COSTDASH_RECEIVED_SWEEP_SECONDS * 3):
        if not enqueue(received_bodies_process, what="the received bodies"):
            cache.delete(QUEUED_FLAG)
            return
    _queued_seen_at = now


# ---- the worker ----

def received_drain(seconds: float = 50.0) -> Outcome:
    """Process pending bodies batch after batch until none wait (or ``seconds`` passed: then queued again).
    It stops no sooner than QUEUED_RECHECK_SECONDS after clearing the flag (see received_queue)."""
    global _queued_seen_at
    cache.delete(QUEUED_FLAG)  # bodies stored from now on queue another drain if this one has passed them
    _queued_seen_at = float("-inf")  # this process knows the flag is cleared
    total, began = Outcome(), time.monotonic()
    while True:
        claimed = received_claim(settings.COSTDASH_RECEIVED_BATCH_BODIES)
        if claimed is None:
            early = QUEUED_RECHECK_SECONDS - (time.monotonic() - began)
            if early <= 0:
                break
            time.sleep(early)  # a body stored by a request that did not look at the flag is found by this look
            claimed = received_claim(settings.COSTDASH_RECEIVED_BATCH_BODIES)
            if claimed is None:
                break
        claim, ids = claimed
        try:
            with _collector_paused():
                outcome = received_process(claim)
        except Exception:
            log.exception("received bodies %s-%s: the batch failed; trying them one at a time", ids[0], ids[-1])
            outcome = _one_at_a_time(claim, ids)
        total.bodies += outcome.bodies
        total.done += outcome.done
        total.failed += outcome.failed
        total.records += outcome.records
        if time.monotonic() - began > seconds:
            received_queue(always=True)
            break
    return total


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off for one batch (a worker's drain only, never a request's thread).

    A batch allocates a few hundred thousand objects (the bodies' decoded JSON, the records read from it, their
    rows), few of which live long, and the collector would scan the young ones thousands of times and the whole
    heap (Django's, Celery's) several times for cycles that reading JSON does not make: ~10% of a drain's CPU.
    Memory is unchanged (reference counting frees what the batch drops); any cycle left is collected once the
    collector is back on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def received_claim(limit: int) -> tuple[uuid.UUID, list[int]] | None:
    """(claim id, body ids) of up to ``limit`` pending bodies, oldest first, claimed and committed."""
    claim = uuid.uuid4()
    with transaction.atomic():
        ids = list(ReceivedBody.objects.filter(state=State.PENDING).order_by("id")
                   .select_for_update(skip_locked=True).values_list("id", flat=True)[:limit])
        if not ids:
            return None
        ReceivedBody.objects.filter(id__in=ids).update(
            state=State.CLAIMED, claim=claim, claimed_at=timezone.now(), attempts=F("attempts") + 1)
    return claim, ids


def _one_at_a_time(claim: uuid.UUID, ids: list[int]) -> Outcome:
    total = Outcome()
    for pk in ids:
        own = uuid.uuid4()
        if not ReceivedBody.objects.filter(pk=pk, claim=claim, state=State.CLAIMED).update(claim=own):
            continue
        try:
            outcome = received_process(own)
        except Exception as exc:
            log.exception("received body %s could not be processed", pk)
            ReceivedBody.objects.filter(pk=pk, claim=own, state=State.CLAIMED).update(
                state=State.FAILED, error=f"could not be processed ({type(exc).__name__}: {exc})"[:2000],
                processed_at=timezone.now())
            outcome = Outcome(bodies=1, failed=1)
        total.bodies += outcome.bodies
        total.done += outcome.done
        total.failed += outcome.failed
        total.records += outcome.records
    return total


def received_process(claim: uuid.UUID, *, strict: bool = False, new: ReceivedBody | None = None) -> Outcome:
    """Turn the bodies claimed as ``claim`` into events and mark them done, in one transaction (see the
    module docstring); ``new``: a body to insert first, in the same transaction (the embedded default).
    ``strict``: a body that cannot be read raises (the request's 4xx or 500) instead of being failed."""
    outcome, after = Outcome(), []
    with transaction.atomic():
        if not strict:  # a crash loses the events and the "done" together, and the stored body is redone
            relax_commit_durability()
        if new is not None:
            new.save()
        bodies = _claimed_bodies(claim)
        identities, batches, now = IdentityMap(), {}, timezone.now()
        # Many bodies: rows as COPY text, upserted through the stage table; one body: one INSERT … VALUES.
        builder = RowBuilder(batch_id=None, table=rate_table(), tz_name=org_time_zone(),
                             copy_text=connection.vendor == "postgresql" and len(bodies) > 1)
        for body in bodies:
            result = outcome.results[body.pk] = BodyResult()
            try:
                _read_into(body, result, batches, builder, identities)
            except Exception as exc:
                if strict:
                    raise
                log.warning("received body %s failed: %s", body.pk, exc)
                result.error = str(exc) if isinstance(exc, BodyError) else f"{type(exc).__name__}: {exc}"
        for token, batch, members in batches.values():
            written, failed = batch.write(token)
            after.append((token, written.dirty | failed.dirty, written.inserted, len(members),
                          sum(outcome.results[pk].rejected_count for pk in members)))
            if len(members) == 1:  # one body: its own counts, for the answer
                live = outcome.results[members[0]].live
                live.failed, live.conflicts = failed.seen, written.conflicts
                live.new, live.updated, live.duplicates = written.inserted, written.updated, written.duplicates
        alike: dict[tuple, list[int]] = {}  # bodies that end the same are marked with one UPDATE
        for body in bodies:
            result = outcome.results[body.pk]
            changes = (("state", State.FAILED if result.error else State.DONE), ("error", result.error[:2000]),
                       ("rejected", result.rejected_count), ("records", body.records))
            kept = (result.live or result.metrics).rejected if (result.live or result.metrics) else []
            reasons = orjson.dumps([r.as_dict() for r in kept[:REASONS_KEPT]]).decode()
            alike.setdefault((*changes, ("reasons", reasons)), []).append(body.pk)
            outcome.bodies += 1
            outcome.failed += bool(result.error)
            outcome.done += not result.error
            outcome.records += body.records
        for changes, ids in alike.items():
            values = dict(changes)
            values["reasons"] = orjson.loads(values["reasons"])
            if values["state"] == State.DONE:
                values["data"] = b""  # the body is kept to look into only when it failed
            ReceivedBody.objects.filter(id__in=ids).update(processed_at=now, **values)
    for token, dirty, new_events, count, rejected in after:
        live_marks_and_counts(token, dirty, new=new_events, rejected=rejected, bodies=count)
    return outcome


READ_FIELDS = ("id", "kind", "token_id", "content_type", "encoding", "name", "data")
READ_SQL = (f"SELECT {', '.join(READ_FIELDS)} FROM {ReceivedBody._meta.db_table} WHERE claim = %s AND state = %s "
            "ORDER BY id FOR UPDATE")


def _claimed_bodies(claim: uuid.UUID) -> list[ReceivedBody]:
    """The bodies claimed as ``claim``, locked, oldest first, each with its token (and the token's developer),
    read with what processing needs only. On PostgreSQL in binary (the bodies' bytes as they are, not as hex
    text built there and parsed here), the tokens in one query of their own."""
    if connection.vendor != "postgresql":
        bodies = list(ReceivedBody.objects.select_for_update().filter(claim=claim, state=State.CLAIMED)
                      .order_by("id").only(*READ_FIELDS))
    else:
        with psycopg.Cursor(connection.connection) as cursor:  # inside the caller's transaction
            cursor.execute(READ_SQL, (claim, State.CLAIMED), binary=True)
            bodies = [ReceivedBody(**dict(zip(READ_FIELDS, row, strict=True))) for row in cursor]
    tokens = IngestToken.objects.select_related("developer").in_bulk({body.token_id for body in bodies})
    for body in bodies:
        body.token = tokens[body.token_id]
    return bodies


def _read_into(body: ReceivedBody, result: BodyResult, batches: dict, builder: RowBuilder, identities: IdentityMap):
    """Parse one body: requests go into its token's LiveBatch, metrics are written at once (in order)."""
    from .receivers import Bounded, body_caps

    data = bytes(body.data)
    if body.encoding == "gzip":
        data = inflate((data[i:i + READ] for i in range(0, len(data), READ)), body_caps())
    protobuf = body.content_type == "application/x-protobuf"
    if body.kind == Kind.OTLP_METRICS:
        decoded = otel_metrics.decode_protobuf_metrics(data) if protobuf else _json(data)
        with transaction.atomic():  # a savepoint: a failing body leaves nothing of itself
            result.metrics = live_metrics_write(body.token, decoded, "/v1/metrics")
        result.rejected_count = len(result.metrics.rejected)
        body.records = result.metrics.new + result.metrics.updated + result.metrics.unchanged
        return
    if body.kind == Kind.OTLP_LOGS:
        decoded = otel_logs.decode_protobuf_logs(data) if protobuf else _json(data)
        items = otel_logs.requests_from_logs_body(decoded, "/v1/logs")
    else:
        stats = ParseStats()
        parse = litellm_payload.parse if body.kind == Kind.LITELLM else claude_code_jsonl.parse
        where = "litellm callback" if body.kind == Kind.LITELLM else body.name or "pushed transcript"
        items = parse(io.BytesIO(data), where, stats)
    bounded = Bounded(items)
    held = list(bounded)  # a body over the record cap raises here, before anything of it is held
    if body.kind != Kind.OTLP_LOGS:
        result.usage_lines = stats.usage_lines
    token = body.token
    if token.pk not in batches:
        batches[token.pk] = (token, LiveBatch(builder, identities), [])
    _, batch, members = batches[token.pk]
    result.live = batch.add(token, SOURCES[body.kind], held)
    members.append(body.pk)
    result.rejected_count = result.live.rejected_count + bounded.dropped
    body.records = len(held) - len(result.live.rejected)


def _json(data: bytes) -> dict:
    body = orjson.loads(data)
    if not isinstance(body, dict):
        raise BodyError(400, "body must be a JSON object")
    return body


# ---- the sweep ----

@dataclass
class SweepResult:
    released: int = 0
    failed: int = 0
    waiting: int = 0
    deleted: int = 0


def received_sweep(now: datetime | None = None) -> SweepResult:
    """Give back stale claims, fail bodies claimed too often, queue a drain if bodies wait, delete old ones."""
    now, result = now or timezone.now(), SweepResult()
    stale = now - timedelta(seconds=settings.COSTDASH_RECEIVED_CLAIM_SECONDS)
    with transaction.atomic():
        rows = list(ReceivedBody.objects.filter(state=State.CLAIMED, claimed_at__lt=stale)
                    .select_for_update(skip_locked=True).values_list("id", "attempts"))
        tired = [pk for pk, attempts in rows if attempts >= settings.COSTDASH_RECEIVED_MAX_ATTEMPTS]
        again = [pk for pk, attempts in rows if attempts < settings.COSTDASH_RECEIVED_MAX_ATTEMPTS]
        if tired:
            result.failed = ReceivedBody.objects.filter(id__in=tired).update(
                state=State.FAILED, processed_at=now, claim=None,
                error=f"its worker stopped {settings.COSTDASH_RECEIVED_MAX_ATTEMPTS} times while processing it")
        if again:
            result.released = ReceivedBody.objects.filter(id__in=again).update(state=State.PENDING, claim=None)
    if result.released or result.failed:
        log.warning("received bodies: %s claims given back, %s failed after %s attempts", result.released,
                    result.failed, settings.COSTDASH_RECEIVED_MAX_ATTEMPTS)
    result.waiting = ReceivedBody.objects.filter(state=State.PENDING).count()
    if result.waiting:
        cache.delete(QUEUED_FLAG)  # a drain queued and lost must not hold the next one back
        received_queue(always=True)
    keep = now - timedelta(days=settings.COSTDASH_RECEIVED_KEEP_DAYS)
    old = ReceivedBody.objects.filter(state=State.DONE, processed_at__lt=keep).values_list("id", flat=True)[:10_000]
    result.deleted, _ = ReceivedBody.objects.filter(id__in=list(old)).delete()
    return result
