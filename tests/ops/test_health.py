"""/healthz/ and /readyz/: each check's status and figure, 200 when all pass, 503 naming the failing ones."""
from datetime import timedelta
import socket
import uuid

from django.utils import timezone
import pytest
import redis

from costdash.ingest.models import ImportBatch
from costdash.ops.health import health_forget
from costdash.ops.heartbeats import BEAT, heartbeat_stamp
from costdash.ops.tasks import ops_heartbeat
from costdash.rollups.models import DirtyDay
from tests.celery_workers import redis_url_or_fail
from tests.factories import DeveloperFactory

ALL_CHECKS = ["database", "broker", "beat", "worker", "rollup_lag", "import_lag", "received_lag"]


@pytest.fixture(autouse=True)
def fresh(settings, tmp_path):
    """No answer kept between requests; the folder broker in a folder of this test's own."""
    settings.COSTDASH_HEALTH_CACHE_SECONDS = 0
    settings.CELERY_BROKER_URL = "filesystem://localhost/"
    settings.CELERY_TASK_DEFAULT_QUEUE = "celery"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path)}
    health_forget()
    yield
    health_forget()


@pytest.fixture
def alive(db):
    """Beat sent the heartbeat (stamped as beat's publish hook does) and a worker ran the task."""
    heartbeat_stamp(BEAT)
    ops_heartbeat.delay()  # eager here: runs the task itself, which stamps the worker


def ready(client, query=""):
    response = client.get("/readyz/" + query)
    return response.status_code, response.json()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # free once closed: nothing listens there


def test_liveness_answers_without_login_or_database(client):
    response = client.get("/healthz/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_all_fine_is_200_with_every_checks_figure(client, alive, tmp_path):
    for name in ("1_a.celery.msg", "2_b.celery.msg", "3_c.other.msg"):  # two tasks on our queue, one elsewhere
        (tmp_path / name).write_bytes(b"{}")
    DirtyDay.objects.create(developer=DeveloperFactory(), day=timezone.localdate(),
                            marked_at=timezone.now() - timedelta(seconds=100))
    ImportBatch.objects.create(source="files", status="running")
    status, answer = ready(client)
    assert status == 200 and answer["status"] == "ok" and answer["failing"] == []
    checks = answer["checks"]
    assert list(checks) == ALL_CHECKS and all(c["status"] == "ok" for c in checks.values())
    assert checks["broker"]["kind"] == "folder" and checks["broker"]["queue_depth"] == 2
    assert checks["rollup_lag"]["dirty_days"] == 1 and 100 <= checks["rollup_lag"]["lag_seconds"] < 130
    assert checks["import_lag"]["in_progress"] == 1 and checks["import_lag"]["lag_seconds"] < 30
    assert checks["beat"]["age_seconds"] < 30 and checks["worker"]["age_seconds"] < 30
    assert checks["database"]["latency_ms"] >= 0


@pytest.mark.django_db
def test_a_broker_on_a_closed_port_is_503_naming_it_and_not_its_address(client, alive, settings):
    port = closed_port()
    settings.CELERY_BROKER_URL = f"redis://:hunter2secret@127.0.0.1:{port}/12"
    status, answer = ready(client)
    assert status == 503 and answer["status"] == "fail" and answer["failing"] == ["broker"]
    assert answer["checks"]["broker"] == {"status": "fail", "kind": "redis", "queue_depth": None,
                                          "error": "ConnectionError"}
    text = client.get("/readyz/").content.decode()
    assert "hunter2secret" not in text and str(port) not in text and "127.0.0.1" not in text


@pytest.mark.django_db
def test_a_reachable_redis_broker_gives_its_queue_depth_over_priority_lists(client, alive, settings):
    url = redis_url_or_fail().rsplit("/", 1)[0] + "/12"  # this part's Redis database
    queue = f"ops-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_BROKER_URL, settings.CELERY_TASK_DEFAULT_QUEUE = url, queue
    server = redis.Redis.from_url(url)
    try:
        server.lpush(queue, b"t1", b"t2")
        server.lpush(queue + "\x06\x166", b"t3")  # kombu's list for priority 6
        server.lpush(queue + "-other", b"x")
        status, answer = ready(client)
    finally:
        server.delete(queue, queue + "\x06\x166", queue + "-other")
    assert status == 200 and answer["checks"]["broker"] == {"status": "ok", "kind": "redis", "queue_depth": 3}


@pytest.mark.django_db
def test_rollup_lag_over_the_threshold_is_503_naming_it(client, alive, settings):
    settings.COSTDASH_HEALTH_ROLLUP_LAG_SECONDS = 900
    developer = DeveloperFactory()
    now = timezone.now()
    DirtyDay.objects.create(developer=developer, day=now.date(), marked_at=now - timedelta(seconds=1000))
    DirtyDay.objects.create(developer=developer, day=now.date() - timedelta(days=1), marked_at=now)
    status, answer = ready(client)
    assert status == 503 and answer["failing"] == ["rollup_lag"]
    lag = answer["checks"]["rollup_lag"]
    assert lag["status"] == "fail" and lag["dirty_days"] == 2 and lag["threshold_seconds"] == 900
    assert 1000 <= lag["lag_seconds"] < 1030


@pytest.mark.django_db
def test_an_import_pending_too_long_is_503_naming_it(client, alive, settings):
    settings.COSTDASH_HEALTH_IMPORT_LAG_SECONDS = 3600
    batch = ImportBatch.objects.create(source="files", status="pending")
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - timedelta(hours=2))
    ImportBatch.objects.create(source="files", status="done")  # finished ones do not count
    status, answer = ready(client)
    assert status == 503 and answer["failing"] == ["import_lag"]
    assert answer["checks"]["import_lag"]["in_progress"] == 1
    assert 7200 <= answer["checks"]["import_lag"]["lag_seconds"] < 7230


@pytest.mark.django_db
def test_a_stale_or_missing_heartbeat_fails_beat_or_worker(client, settings):
    settings.COSTDASH_HEALTH_HEARTBEAT_STALE_SECONDS = 120
    heartbeat_stamp(BEAT, timezone.now() - timedelta(seconds=200))
    status, answer = ready(client)
    assert status == 503 and answer["failing"] == ["beat", "worker"]
    assert answer["checks"]["beat"]["status"] == "fail" and 200 <= answer["checks"]["beat"]["age_seconds"] < 230
    assert answer["checks"]["worker"] == {"status": "fail", "age_seconds": None, "threshold_seconds": 120,
                                          "error": "no heartbeat yet"}
    heartbeat_stamp(BEAT)
    ops_heartbeat.delay()
    assert ready(client)[0] == 200


@pytest.mark.django_db
def test_a_probe_may_ask_for_some_checks_only(client):
    status, answer = ready(client, "?checks=database,broker")  # no worker or beat here: not asked for
    assert status == 200 and list(answer["checks"]) == ["database", "broker"]
    assert ready(client)[0] == 503
    response = client.get("/readyz/?checks=database,disk")
    assert response.status_code == 400 and "disk" in response.json()["error"]


@pytest.mark.django_db
def test_the_answer_is_kept_a_few_seconds(client, alive, settings):
    settings.COSTDASH_HEALTH_CACHE_SECONDS = 60
    first = ready(client)
    DirtyDay.objects.create(developer=DeveloperFactory(), day=timezone.localdate(),
                            marked_at=timezone.now() - timedelta(days=1))
    assert ready(client) == first and first[0] == 200  # the kept answer
    health_forget()
    assert ready(client)[1]["failing"] == ["rollup_lag"]


@pytest.mark.django_db
def test_a_failing_probe_logs_once_per_change_not_once_per_probe(client, alive, settings, caplog):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/12"
    with caplog.at_level("INFO"):
        assert [ready(client)[0] for _ in range(3)] == [503, 503, 503]
        settings.CELERY_BROKER_URL = "filesystem://localhost/"
        assert ready(client)[0] == 200
    lines = [(r.name, r.levelname, r.getMessage()) for r in caplog.records if r.name.startswith(("costdash.ops",
                                                                                                 "django.request"))]
    assert lines == [("costdash.ops.health", "WARNING", "readiness: failing broker (ConnectionError)"),
                     ("costdash.ops.health", "INFO", "readiness: every check passes again")]


@pytest.mark.django_db
def test_a_live_body_waiting_too_long_is_503_naming_it_and_counted_in_the_metrics(client, alive, settings):
    from costdash.ingest.live import ingest_token_create
    from costdash.ingest.models import ReceivedBody

    settings.COSTDASH_HEALTH_RECEIVED_LAG_SECONDS = 300
    token, _ = ingest_token_create(name="collector", kind="otlp")
    old = ReceivedBody.objects.create(kind="otlp_logs", token=token, data=b"{}", received_at=timezone.now())
    ReceivedBody.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(seconds=600))
    ReceivedBody.objects.create(kind="otlp_logs", token=token, data=b"{}", received_at=timezone.now(), state="done")
    status, answer = ready(client)
    assert status == 503 and answer["failing"] == ["received_lag"]
    assert answer["checks"]["received_lag"]["waiting"] == 1
    assert 600 <= answer["checks"]["received_lag"]["lag_seconds"] < 630
    from tests.ops.test_metrics import scrape, value

    got = scrape(client)
    assert value(got, "costdash_received_bodies_waiting", kind="otlp_logs", state="pending") == 1
    assert 600 <= value(got, "costdash_received_lag_seconds") < 630
    assert value(got, "costdash_received_bodies_failed") == 0
