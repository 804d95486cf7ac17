"""Operations across real processes: beat and a worker stamping their heartbeats through Redis, and /metrics adding
up the counts of several gunicorn processes (PROMETHEUS_MULTIPROC_DIR)."""
import json
import os
from pathlib import Path
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

from prometheus_client.parser import text_string_to_metric_families
import pytest
import redis

from costdash.ops.health import health_forget
from costdash.ops.heartbeats import BEAT, WORKER, heartbeat_ages
from tests.celery_workers import database_url, redis_url_or_fail, worker_start, worker_stop

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.25)
    pytest.fail(f"waited {seconds} s for {what}")


@pytest.fixture
def redis12():
    return redis_url_or_fail().rsplit("/", 1)[0] + "/12"  # this part's Redis database


@pytest.mark.django_db(transaction=True)
def test_beat_and_a_worker_stamp_their_heartbeats_and_a_stopped_worker_fails_readiness(
        client, settings, tmp_path, redis12):
    queue = f"ops-heartbeat-{uuid.uuid4().hex[:8]}"
    env = {"COSTDASH_HEARTBEAT_SECONDS": "1", "COSTDASH_HEALTH_HEARTBEAT_STALE_SECONDS": "4",
           "COSTDASH_LOG_FORMAT": "json"}
    beat_log = open(tmp_path / "beat.log", "w")
    beat = subprocess.Popen(  # beat on its own, as docker-compose runs it
        [sys.executable, "-m", "celery", "-A", "costdash", "beat", "-s", str(tmp_path / "beat-schedule"),
         "--loglevel=INFO"], cwd=ROOT, stdout=beat_log, stderr=subprocess.STDOUT,
        env={**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": redis12, "DJANGO_DEBUG": "true",
             "CELERY_TASK_DEFAULT_QUEUE": queue, **env})
    worker = worker_start(redis12, queue, tmp_path / "worker.log", name=f"ops-{queue}", **env)
    settings.COSTDASH_HEALTH_HEARTBEAT_STALE_SECONDS, settings.COSTDASH_HEALTH_CACHE_SECONDS = 4, 0
    try:
        def both_fresh():
            ages = heartbeat_ages()
            return all(age is not None and age < 2 for age in ages.values()) and ages

        wait_for(both_fresh, 60, "beat's and the worker's heartbeats (logs in " + str(tmp_path) + ")")
        health_forget()
        response = client.get("/readyz/?checks=beat,worker")
        assert response.status_code == 200, response.json()
        worker_stop(worker)
        stopped = time.monotonic()
        wait_for(lambda: heartbeat_ages()[WORKER] > 4, 30, "the worker's heartbeat to age")
        response = client.get("/readyz/?checks=beat,worker")
        assert response.status_code == 503 and response.json()["failing"] == ["worker"]
        assert heartbeat_ages()[BEAT] < 2  # beat still sends (its heartbeats now wait in the queue)
        assert time.monotonic() - stopped < 30
        # Their log lines are JSON too (Celery's own logging set aside), beside the banners Celery prints.
        for log_name, logger, text in (("worker.log", "celery.app.trace", "succeeded"),
                                       ("beat.log", "celery.beat", "Sending due task ops-heartbeat")):
            logged = [json.loads(line) for line in (tmp_path / log_name).read_text().splitlines()
                      if line.startswith("{")]
            assert any(line["logger"] == logger and text in line["message"] for line in logged), log_name
            assert not re.search(r"^\[\d{4}-\d\d-\d\d [\d:,]+: (INFO|WARNING)", (tmp_path / log_name).read_text(), re.M)
    finally:
        if worker.poll() is None:
            worker_stop(worker)
        beat.terminate()
        beat.wait(30)
        beat_log.close()
        redis.Redis.from_url(redis12).delete(queue)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_start(port: int, metrics_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_DEBUG": "false",
           "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "test-" + "x" * 50,
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    env.pop("REDIS_URL", None)
    env.pop("COSTDASH_METRICS_TOKEN", None)
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "costdash.wsgi:application",
                               "--workers", "1", "--bind", f"127.0.0.1:{port}"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def answers():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    wait_for(answers, 30, f"gunicorn on port {port}")
    return server


def get(url: str, **headers) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def scraped(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/metrics", timeout=30) as response:
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.mark.django_db(transaction=True)
def test_metrics_add_up_every_web_process_through_the_multiprocess_folder(tmp_path):
    servers, bases = [], []
    try:
        for _ in range(2):  # two processes sharing one folder, as gunicorn's workers do
            port = free_port()
            servers.append(gunicorn_start(port, tmp_path))
            bases.append(f"http://127.0.0.1:{port}")
        for base, count in zip(bases, (7, 5), strict=True):
            assert all(get(f"{base}/healthz/") == 200 for _ in range(count))
            assert get(f"{base}/v1/logs") == 405  # an OTLP receiver takes POST only
        refused = [urllib.request.Request(f"{base}/ingest/litellm", data=b"[]", method="POST") for base in bases]
        for request in refused:  # no token: 401, once on each process
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(request, timeout=30)
            assert caught.value.code == 401
        healthz = ("costdash_http_request_duration_seconds_count",
                   (("method", "GET"), ("status", "2xx"), ("view", "ops:healthz")))
        litellm = ("costdash_ingest_bodies_refused_total", (("kind", "litellm"), ("status", "401")))
        otlp = ("costdash_ingest_bodies_refused_total", (("kind", "otlp"), ("status", "405")))
        for base in bases * 2:  # whichever process answers the scrape, the sum of both
            got = scraped(base)
            assert got[healthz] == 12 and got[litellm] == 2 and got[otlp] == 2
            assert got[("costdash_metrics_source_up", (("source", "database"),))] == 1
        assert len(list(tmp_path.glob("*.db"))) >= 2  # each process's own files
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
