"""Live bodies with a broker: stored as sent with one insert, answered at once, turned into events by a
worker in batches (ingest.received), never lost or counted twice.

Each record is the sample's api_request (2.1.294, Haiku 5.5: $0.00276519 at list price with its writes as
1h writes, samples README) with its own request id, naming PEOPLE in turn.
"""
import copy
from decimal import Decimal
import gzip
import json
import os
import signal
import time
import uuid

from django.db import connection
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
import psycopg
import pytest
import redis

from costdash.celery import app
from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import IngestToken, ReceivedBody, UsageEvent
from costdash.ingest.received import received_drain, received_sweep
from tests.celery_workers import database_url, redis_url_or_fail, use_broker_settings, worker_start
from tests.conftest import SAMPLES

RECORD_COST = Decimal("0.00276519")
PEOPLE = ("ana@example.com", "bo@example.com", "cy@example.com")


def body(tag: str, n: int = 4, bad: int = 0) -> bytes:
    """n api_request records with request ids req_<tag>_<i>, then ``bad`` records without a model."""
    sample = json.loads((SAMPLES / "otel" / "a11ign_claude_code_2.1.294_logs_request.json").read_text())
    scope = sample["resourceLogs"][0]["scopeLogs"][0]
    record = next(r for r in scope["logRecords"] if r["body"]["stringValue"] == "claude_code.api_request")
    records = []
    for i in range(n + bad):
        r = copy.deepcopy(record)
        for attr in r["attributes"]:
            if attr["key"] == "request_id":
                attr["value"] = {"stringValue": f"req_{tag}_{i}"}
            elif attr["key"] == "user.email":
                attr["value"] = {"stringValue": PEOPLE[i % len(PEOPLE)]}
        if i >= n:
            r["attributes"] = [a for a in r["attributes"] if a["key"] != "model"]
        records.append(r)
    scope["logRecords"] = records
    return json.dumps(sample).encode()


def post(client, secret: str, data: bytes, content_type="application/json", **headers):
    return client.post("/v1/logs", data=data, content_type=content_type,
                       headers={"Authorization": f"Bearer {secret}", **headers})


@pytest.fixture
def memory_broker():
    """A broker (in memory) and no worker: receivers store and answer; the test runs the drain itself."""
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url")}
    use_broker_settings(task_always_eager=False, broker_url="memory://localhost/")
    yield
    use_broker_settings(**saved)


@pytest.mark.django_db
def test_a_body_is_stored_as_sent_and_answered_before_any_event_exists(client, memory_broker):
    secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]
    sent = gzip.compress(body("a"))
    response = post(client, secret, sent, **{"Content-Encoding": "gzip"})
    assert response.status_code == 200 and response.json() == {}
    stored = ReceivedBody.objects.get()
    assert (bytes(stored.data), stored.encoding, stored.state, stored.size) == (sent, "gzip", "pending", len(sent))
    assert not UsageEvent.objects.exists() and IngestToken.objects.get().requests == 0
    outcome = received_drain()
    assert (outcome.bodies, outcome.done, outcome.records) == (1, 1, 4)
    stored.refresh_from_db()
    assert (stored.state, stored.records, stored.rejected, stored.attempts, bytes(stored.data)) == ("done", 4, 0, 1, b"")
    assert UsageEvent.objects.count() == 4 and sum(UsageEvent.objects.values_list("cost", flat=True)) == 4 * RECORD_COST
    token = IngestToken.objects.get()
    assert (token.requests, token.events_new, token.rejected) == (1, 4, 0)


@pytest.mark.django_db
def test_the_same_body_twice_counts_once_in_one_batch_and_across_batches(client, memory_broker):
    secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]
    assert post(client, secret, body("a")).status_code == 200
    assert post(client, secret, body("a")).status_code == 200  # the exporter retried
    assert received_drain().done == 2  # both in one batch
    assert UsageEvent.objects.count() == 4
    assert post(client, secret, body("a")).status_code == 200  # and once more, later
    assert received_drain().done == 1
    assert UsageEvent.objects.count() == 4
    assert sum(UsageEvent.objects.values_list("cost", flat=True)) == 4 * RECORD_COST
    token = IngestToken.objects.get()
    assert (token.requests, token.events_new) == (3, 4)


@pytest.mark.django_db
def test_rejected_records_are_kept_with_their_reasons_on_the_body(client, memory_broker):
    secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]
    assert post(client, secret, body("a", n=2, bad=1)).json() == {}  # no partialSuccess: processed later
    received_drain()
    stored = ReceivedBody.objects.get()
    assert (stored.state, stored.records, stored.rejected, len(stored.reasons)) == ("done", 2, 1, 1)
    assert "model" in stored.reasons[0]["reason"]
    token = IngestToken.objects.get()
    assert (token.events_new, token.rejected) == (2, 1)


@pytest.mark.django_db
def test_bad_bodies_are_refused_before_anything_is_stored(client, memory_broker, settings):
    secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]
    assert post(client, "cdi_wrong", body("a")).status_code == 401
    assert post(client, secret, b"{not json").status_code == 400
    assert post(client, secret, b"[1, 2]").status_code == 400
    assert post(client, secret, b"\xff\x01junk", "application/x-protobuf").status_code == 400
    assert post(client, secret, body("a"), "text/plain").status_code == 415
    assert post(client, secret, b"{}", **{"Content-Encoding": "br"}).status_code == 415
    assert post(client, secret, gzip.compress(body("a"))[:-9], **{"Content-Encoding": "gzip"}).status_code == 400
    settings.COSTDASH_BODY_MAX_INFLATED_BYTES = 10_000
    assert post(client, secret, gzip.compress(b" " * 20_000 + b"{}"), **{"Content-Encoding": "gzip"}).status_code == 413
    assert not ReceivedBody.objects.exists() and not UsageEvent.objects.exists()


@pytest.mark.django_db
def test_a_body_the_worker_cannot_read_fails_with_its_reason_and_the_others_land(client, memory_broker, settings):
    secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]
    message = json_format.ParseDict(json.loads(body("p")), logs_service_pb2.ExportLogsServiceRequest())
    assert post(client, secret, body("a", n=6)).status_code == 200
    assert post(client, secret, message.SerializeToString(), "application/x-protobuf").status_code == 200
    assert post(client, secret, body("b", n=2)).status_code == 200
    settings.COSTDASH_BODY_MAX_RECORDS = 5  # lowered after the six-record body was stored
    outcome = received_drain()
    assert (outcome.bodies, outcome.done, outcome.failed, outcome.records) == (3, 2, 1, 6)
    states = list(ReceivedBody.objects.order_by("id").values_list("state", "records", "error"))
    assert [s[:2] for s in states] == [("failed", 0), ("done", 4), ("done", 2)]
    assert "over 5 records" in states[0][2]
    assert UsageEvent.objects.count() == 6


@pytest.mark.django_db
def test_a_stale_claim_is_given_back_and_a_body_claimed_too_often_fails(client, memory_broker, settings):
    secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]
    assert post(client, secret, body("a")).status_code == 200
    assert post(client, secret, body("b")).status_code == 200
    first, second = ReceivedBody.objects.order_by("id")
    ReceivedBody.objects.filter(pk=first.pk).update(state="claimed", claim=uuid.uuid4(), attempts=1,
                                                   claimed_at="2026-01-01T00:00:00Z")  # its worker died
    ReceivedBody.objects.filter(pk=second.pk).update(state="claimed", claim=uuid.uuid4(), attempts=3,
                                                    claimed_at="2026-01-01T00:00:00Z")
    result = received_sweep()
    assert (result.released, result.failed, result.waiting) == (1, 1, 1)
    assert received_drain().done == 1
    assert dict(ReceivedBody.objects.values_list("pk", "state")) == {first.pk: "done", second.pk: "failed"}
    assert set(UsageEvent.objects.values_list("request_id", flat=True)) == {f"req_a_{i}" for i in range(4)}


# A real worker killed mid-batch ------------------------------------------------------------------

def _worker_waiting_on_a_lock(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND datname = current_database()").fetchone()[0] > 0


def _backends(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND pid <> pg_backend_pid()").fetchone()[0]


def _wait(condition, what: str, log, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s; worker log:\n{log.read_text()}"
        time.sleep(0.1)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_leaves_nothing_and_the_bodies_are_processed_once_afterwards(
        client, tmp_path, settings):
    """The test holds a lock on the events table, so the worker's batch stops at its INSERT with the bodies
    claimed and locked; the worker is killed (SIGKILL) there. Nothing of the batch is in the database, the
    sweep gives the claims back, a second worker processes every body once: 3 bodies of 4 records, the
    third a resend of the first, make 8 events."""
    redis_url, queue = redis_url_or_fail(), f"costdash-test-{uuid.uuid4().hex[:8]}"
    dsn = database_url()
    secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_default_queue")}
    use_broker_settings(task_always_eager=False, broker_url=redis_url, task_default_queue=queue)
    workers, blocker = [], None
    try:
        for tag in ("a", "b", "a"):
            response = post(client, secret, body(tag))
            assert response.status_code == 200 and response.json() == {}
        assert ReceivedBody.objects.filter(state="pending").count() == 3 and not UsageEvent.objects.exists()
        blocker = psycopg.connect(dsn)
        blocker.execute("LOCK TABLE ingest_usageevent IN SHARE MODE")  # held until rollback
        first_log = tmp_path / "first.log"
        workers.append(worker_start(redis_url, queue, first_log, name="first"))
        _wait(lambda: _worker_waiting_on_a_lock(dsn), "the worker's batch reaching the events table", first_log)
        assert ReceivedBody.objects.filter(state="claimed", attempts=1).count() == 3
        before = _backends(dsn)
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait(30)
        # A session waiting on a lock notices its client has gone only once it runs again: let it go on.
        blocker.rollback()
        _wait(lambda: _backends(dsn) < before, "PostgreSQL ending the killed worker's session", first_log)
        assert not UsageEvent.objects.exists() and ReceivedBody.objects.filter(state="claimed").count() == 3
        assert IngestToken.objects.get().requests == 0

        settings.COSTDASH_RECEIVED_CLAIM_SECONDS = 0
        assert received_sweep().released == 3  # and a drain queued for the next worker
        second_log = tmp_path / "second.log"
        workers.append(worker_start(redis_url, queue, second_log, name="second"))
        _wait(lambda: ReceivedBody.objects.filter(state="done").count() == 3, "the second worker's batch",
              second_log)
    finally:
        if blocker is not None:
            blocker.close()
        use_broker_settings(**saved)
        for proc in workers:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(30)
        redis.Redis.from_url(redis_url).delete(queue)
    assert list(ReceivedBody.objects.values_list("attempts", flat=True)) == [2, 2, 2]
    assert UsageEvent.objects.count() == 8
    assert set(UsageEvent.objects.values_list("request_id", flat=True)) == {
        f"req_{tag}_{i}" for tag in "ab" for i in range(4)}
    assert sum(UsageEvent.objects.values_list("cost", flat=True)) == 8 * RECORD_COST  # 0.02212152
    token = IngestToken.objects.get()
    assert (token.requests, token.events_new) == (3, 8)
    assert connection.vendor == "postgresql"


@pytest.mark.django_db
def test_stored_bodies_are_compressed_with_lz4_and_read_back_whole():
    """Migration ingest 0016: the body column compresses with lz4 (PostgreSQL 14+ built with it, as here),
    and a 36 KB body stored and read back is the same bytes, stored compressed."""
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL column setting")
    from django.utils import timezone

    body = json.dumps({"records": [{"n": n, "text": "claude_code.api_request " * 70} for n in range(20)]}).encode()
    assert len(body) > 30_000
    token, _ = ingest_token_create(name="lz4 check", kind=IngestToken.Kind.OTLP)
    stored = ReceivedBody.objects.create(kind=ReceivedBody.Kind.OTLP_LOGS, token=token, data=body, size=len(body),
                                         received_at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("SELECT attcompression FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'data'",
                       [ReceivedBody._meta.db_table])
        assert cursor.fetchone() == ("l",)
        cursor.execute(f"SELECT pg_column_compression(data), pg_column_size(data) FROM {ReceivedBody._meta.db_table} "
                       "WHERE id = %s", [stored.pk])
        method, size = cursor.fetchone()
    assert bytes(ReceivedBody.objects.get(pk=stored.pk).data) == body
    assert method == "lz4" and size < len(body) // 4


@pytest.mark.django_db
def test_a_batch_of_new_records_is_copied_straight_in_and_one_meeting_stored_keys_is_upserted(
    client, memory_broker, monkeypatch
):
    """A drain's batch (bodies of one token) goes straight into the events table while the last batch held
    only new requests; a batch with a retried body falls back to the staging table's upsert, the next batch
    upserts too, and the one after it is copied straight in again. Events, costs and counts are the same
    either way."""
    if connection.vendor != "postgresql":
        pytest.skip("the straight copy is PostgreSQL's COPY")
    from costdash.ingest import live, upsert

    monkeypatch.setattr(live, "_expect_new", True)
    copies, real = [], upsert._copy_new
    monkeypatch.setattr(upsert, "_copy_new", lambda rows, *keys: copies.append(real(rows, *keys)) or copies[-1])
    secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]

    def drain(*tags: str):
        for tag in tags:
            assert post(client, secret, body(tag)).status_code == 200
        return received_drain()

    assert drain("a", "b").records == 8
    assert drain("a", "c").records == 8  # "a" again: an exporter's retry
    assert drain("d", "e").records == 8
    assert drain("f", "g").records == 8
    assert copies == [True, False, True]  # (d, e) upserted: the batch before it met stored keys
    assert UsageEvent.objects.count() == 28
    assert sum(UsageEvent.objects.values_list("cost", flat=True)) == 28 * RECORD_COST
    assert sorted(UsageEvent.objects.values_list("request_id", flat=True)) == sorted(
        f"req_{tag}_{i}" for tag in "abcdefg" for i in range(4))
    token = IngestToken.objects.get()
    assert (token.requests, token.events_new, token.rejected) == (8, 28, 0)
    assert ReceivedBody.objects.filter(state="done").count() == 8


@pytest.mark.django_db
def test_a_drain_pauses_the_garbage_collector_for_each_batch_only(client, memory_broker, monkeypatch):
    """The cyclic collector is off while a batch is processed and back on after it, a failing batch included
    (its bodies then tried one at a time, with the collector on)."""
    import gc

    from costdash.ingest import received

    secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]
    for tag in ("a", "b"):
        assert post(client, secret, body(tag)).status_code == 200
    seen, real = [], received.received_process

    def observed(claim, **kwargs):
        seen.append(gc.isenabled())
        if len(seen) == 1:
            raise RuntimeError("the batch's write failed")
        return real(claim, **kwargs)

    monkeypatch.setattr(received, "received_process", observed)
    assert gc.isenabled()
    outcome = received_drain()
    assert seen == [False, True, True]  # the batch, then its two bodies one at a time
    assert gc.isenabled() and (outcome.done, outcome.records) == (2, 8)
    assert UsageEvent.objects.count() == 8
