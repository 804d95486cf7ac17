"""Real Celery workers on the real Redis, for integration tests.

A worker is a separate process pointed at this test run's PostgreSQL database, so its test
commits for real (transaction=True). Each test gives its workers a queue of its own, so tests
and machines sharing the Redis database do not take each other's tasks.
"""
from __future__ import annotations

import os
from pathlib import Path
import subprocess
import sys

from django.db import connection
import pytest
import redis

from costdash.celery import app

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def redis_url_or_fail() -> str:
    url = os.environ.get("COSTDASH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:  # a missing server fails the suite; it is never skipped
        pytest.fail(f"Redis at {url} is needed for this test: {exc}")
    return url


def use_broker_settings(**conf) -> None:
    """Point this process's Celery app at another broker and queue.

    The app caches its connection pool and, in ``app.amqp`` (a cached_property), the queues and
    producers built from the settings it first saw; both are dropped so the new settings apply. Every
    app's tasks module is imported first: close() deregisters the app, and a shared_task defined after
    that (a tasks module first imported later) would not be registered on it (NotRegistered).
    """
    app.loader.import_default_modules()
    app.close()
    app.__dict__.pop("amqp", None)
    app.conf.update(conf)


def worker_start(redis_url: str, queue: str, log_path: Path, name: str = "worker", **env: str) -> subprocess.Popen:
    """A solo-pool worker on ``queue``, its output in ``log_path``; ``env`` adds settings."""
    if connection.vendor != "postgresql":
        pytest.fail("a worker integration test needs PostgreSQL (DATABASE_URL)")
    environment = {
        **os.environ, "DATABASE_URL": database_url(), "REDIS_URL": redis_url, "DJANGO_DEBUG": "true",
        "CELERY_TASK_DEFAULT_QUEUE": queue, **env,
    }
    log = open(log_path, "w")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "costdash", "worker", "--pool=solo", "-Q", queue,
             "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
        )
    finally:
        log.close()  # the worker holds its own copy of the file


def worker_stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=30)
