"""The OTLP receiver's shortcuts for load keep its guarantees: a revoked token stops working (at once
in the process that revoked it, within the cache window elsewhere), every body's developer-days stay
dirty until a recompute that saw the body, and the token counts every body.

Each record is the sample's api_request (2.1.294, Haiku 5.5: $0.00276519 at list price with its
writes as 1h writes, samples README) with its own request id, all on 2026-10-08 (UTC org).
"""
import copy
from decimal import Decimal
import json
import threading
import time

from django.db import connection, connections, transaction
from django.utils import timezone
import psycopg
import pytest

from costdash.celery import app
from costdash.ingest import live
from costdash.ingest.live import ingest_token_create, ingest_token_revoke, live_records_write
from costdash.ingest.models import IngestToken, UsageEvent
from costdash.ingest.parsers import otel_logs
from costdash.ingest.received import received_drain
from costdash.rollups.models import DailyCost, DirtyDay
from costdash.rollups.services import daily_cost_recompute, daily_cost_recompute_dirty
from tests.celery_workers import use_broker_settings
from tests.conftest import SAMPLES

RECORD_COST = Decimal("0.00276519")
PEOPLE = ("ana@example.com", "bo@example.com", "cy@example.com")


def body(tag: str, n: int = 6) -> dict:
    """n api_request records, request ids req_<tag>_<i>, naming PEOPLE in turn."""
    sample = json.loads((SAMPLES / "otel" / "a11ign_claude_code_2.1.294_logs_request.json").read_text())
    scope = sample["resourceLogs"][0]["scopeLogs"][0]
    record = next(r for r in scope["logRecords"] if r["body"]["stringValue"] == "claude_code.api_request")
    records = []
    for i in range(n):
        r = copy.deepcopy(record)
        for attr in r["attributes"]:
            if attr["key"] == "request_id":
                attr["value"] = {"stringValue": f"req_{tag}_{i}"}
            elif attr["key"] == "user.email":
                attr["value"] = {"stringValue": PEOPLE[i % len(PEOPLE)]}
        records.append(r)
    scope["logRecords"] = records
    return sample


def post(client, secret: str, data: dict):
    return client.post("/v1/logs", data=json.dumps(data), content_type="application/json",
                       headers={"Authorization": f"Bearer {secret}"})


@pytest.mark.django_db
def test_a_token_revoked_here_is_refused_at_once_though_it_was_cached(client):
    token, secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)
    assert post(client, secret, body("a")).status_code == 200  # now held in this process's cache
    ingest_token_revoke(token)
    assert post(client, secret, body("b")).status_code == 401
    assert UsageEvent.objects.count() == 6


@pytest.mark.django_db
def test_a_token_revoked_by_another_process_works_here_only_within_the_cache_window(client, monkeypatch):
    token, secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)
    monkeypatch.setattr(live, "TOKEN_CACHE_SECONDS", 60.0)
    assert post(client, secret, body("a")).status_code == 200
    IngestToken.objects.filter(pk=token.pk).update(revoked_at="2026-10-08T09:00:00Z")  # as another process does
    assert post(client, secret, body("b")).status_code == 200  # within the window: still the cached token
    monkeypatch.setattr(live, "TOKEN_CACHE_SECONDS", 0.0)  # the window has passed
    assert post(client, secret, body("c")).status_code == 401
    assert UsageEvent.objects.count() == 12


@pytest.fixture
def broker_without_worker():
    """Recomputes queued (to an in-memory broker: not the embedded default's folder, which `make run`'s
    worker would read), not run."""
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url")}
    use_broker_settings(task_always_eager=False, broker_url="memory://localhost/")
    yield
    use_broker_settings(**saved)


@pytest.mark.django_db
def test_with_queued_recomputes_throttled_every_body_leaves_its_days_dirty_for_the_sweep(
    client, monkeypatch, broker_without_worker
):
    monkeypatch.setattr(live, "RECOMPUTE_PUBLISH_SECONDS", 3600.0)
    secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]
    for tag in ("a", "b", "c"):
        assert post(client, secret, body(tag)).status_code == 200
    assert not UsageEvent.objects.exists()  # stored, for the worker (ingest.received): run here
    assert received_drain().done == 3
    # three developers, one day each; still dirty, as no recompute ran
    assert sorted(DirtyDay.objects.values_list("developer__email", "day")) == sorted(
        (email, UsageEvent.objects.first().timestamp.date()) for email in PEOPLE)
    assert daily_cost_recompute_dirty() == 3  # the beat sweep
    assert sum(DailyCost.objects.values_list("requests", flat=True)) == 18
    assert sum(DailyCost.objects.values_list("cost", flat=True)) == 18 * RECORD_COST  # 0.04977342
    token = IngestToken.objects.get()
    assert (token.requests, token.events_new) == (3, 18)


def _waiting_on_locks(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        ).fetchone()[0]


def _in_thread(target, *args):
    """Run target in a thread with its own database connection; returns (thread, errors)."""
    errors = []

    def run():
        try:
            target(*args)
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _dsn() -> str:
    d = connection.settings_dict
    return f"host={d['HOST']} port={d['PORT']} user={d['USER']} dbname={d['NAME']}"


def _wait_for_a_lock_wait(dsn: str) -> None:
    for _ in range(200):
        if _waiting_on_locks(dsn):
            return
        time.sleep(0.05)
    raise AssertionError("the writer never waited")


@pytest.mark.django_db(transaction=True)
def test_a_body_written_while_a_recompute_holds_its_developers_is_recomputed_later(broker_without_worker):
    """daily_cost_recompute_dirty claims the marks made up to now, recomputes each developer with the
    developer's row locked (a body's events wait for it), then deletes the marks it claimed. The
    body's transaction leaves an existing mark as it is (no lock), so it is the stamp after the body's
    commit, newer than the claim, that keeps the mark from that delete: the sweep then counts the body."""
    token, _ = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)
    live_records_write(token, otel_logs.SOURCE, otel_logs.requests_from_logs_body(body("first"), "test"))
    claimed_at = timezone.now()  # the recompute, as daily_cost_recompute_dirty does it
    claimed = list(DirtyDay.objects.filter(marked_at__lte=claimed_at).values_list("pk", "developer_id", "day"))
    assert len(claimed) == 3
    recomputed, release = threading.Event(), threading.Event()

    def recompute_holding_the_developers() -> None:
        with transaction.atomic():
            for _, developer_id, day in claimed:
                daily_cost_recompute(developer_id, [day])  # locks the developer until this commits
            recomputed.set()
            release.wait(30)

    recompute, recompute_errors = _in_thread(recompute_holding_the_developers)
    recomputed.wait(30)
    writer, writer_errors = _in_thread(
        live_records_write, token, otel_logs.SOURCE, otel_logs.requests_from_logs_body(body("second"), "test"))
    _wait_for_a_lock_wait(_dsn())  # the writer's events wait for the developers
    release.set()
    recompute.join(30)
    writer.join(30)
    assert not writer_errors and not recompute_errors
    DirtyDay.objects.filter(pk__in=[pk for pk, _, _ in claimed], marked_at__lte=claimed_at).delete()
    assert sum(DailyCost.objects.values_list("requests", flat=True)) == 6  # the recompute saw the first body only
    assert daily_cost_recompute_dirty() == 3  # the beat sweep finds the days still marked
    assert sum(DailyCost.objects.values_list("requests", flat=True)) == 12
    assert sum(DailyCost.objects.values_list("cost", flat=True)) == 12 * RECORD_COST  # 0.03318228


@pytest.mark.django_db(transaction=True)
def test_a_recompute_while_a_body_is_being_stamped_and_counted_does_not_lose_the_body(broker_without_worker):
    """The body's rows are committed, then its days stamped and its token counted, held there by a
    lock on the token row while the whole recompute runs: the recompute saw the body, or its marks stay."""
    token, _ = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)
    live_records_write(token, otel_logs.SOURCE, otel_logs.requests_from_logs_body(body("first"), "test"))
    blocker = psycopg.connect(_dsn())
    blocker.execute("SELECT 1 FROM ingest_ingesttoken WHERE id = %s FOR UPDATE", [token.pk])
    writer, writer_errors = _in_thread(
        live_records_write, token, otel_logs.SOURCE, otel_logs.requests_from_logs_body(body("second"), "test"))
    _wait_for_a_lock_wait(_dsn())
    recompute, recompute_errors = _in_thread(daily_cost_recompute_dirty)
    time.sleep(1.0)  # the recompute runs up to the marks the writer holds
    blocker.rollback()
    blocker.close()
    writer.join(30)
    recompute.join(30)
    assert not writer_errors and not recompute_errors
    daily_cost_recompute_dirty()  # the beat sweep
    assert UsageEvent.objects.count() == 12
    assert sum(DailyCost.objects.values_list("requests", flat=True)) == 12
    token.refresh_from_db()
    assert (token.requests, token.events_new) == (2, 12)
