"""`make run` runs the schedule: the recipe's own command lines (from `make -n run`), started as make starts
them on a fresh SQLite data folder with no REDIS_URL, raise a spend-limit alert from the worker's embedded
beat and deliver it through the folder broker to a real local webhook; Ctrl-C stops every process.

The demo_load line is left out: in its place one hand-made transcript is imported through the same CLI
import, so the figures are known. One request today of claude-sonnet-4-6 writing 1,000,000 output tokens
at $15 per million (rates.toml) costs $15.00. The limit is $10.00 a month, saved after the server started;
the default rules (migration alerts 0002) warn at 50, 80 and 100% of it: lines of $5.00, $8.00 and $10.00,
all reached by $15.00 month to date. Limit rules run only in the periodic check ("alerts-evaluate"), never
after an import or a save, so these events can come only from the beat's schedule.
"""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
import json
import os
from pathlib import Path
import re
import shlex
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.alerts.receivers import HttpReceiver
from tests.ingest.transcripts import assistant_line, write_jsonl

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SECRET = "embedded-schedule-secret-0123456789"
LIMIT_EVENTS = """
    SELECT e.id, r.threshold, e.figure, e.threshold, e.subject_key FROM alerts_alertevent e
    JOIN alerts_alertrule r ON r.id = e.rule_id WHERE r.kind = 'limit_share' ORDER BY r.threshold
"""
SEED = """
from costdash.alerts.models import Channel
from costdash.alerts.services import channel_save
from costdash.limits.models import SpendLimit
channel_save(Channel(kind="webhook", name="Ops"), {{"url": "{url}/hook", "secret": "{secret}"}})
print(SpendLimit.objects.create(amount="10.00").pk)
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_run_lines(port: int) -> list[str]:
    """`make run`'s commands as make would run them (migrate, demo_load, the server), for this port."""
    out = subprocess.run(["make", "-n", "run", "HOST=127.0.0.1", f"PORT={port}"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "manage.py" in line]


def wait_for(what: str, check, timeout: float, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"{what} not within {timeout:.0f} s; make run's output:\n{log.read_text()[-6000:]}")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def limit_events(db: Path) -> list[tuple]:
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute(LIMIT_EVENTS).fetchall()


def processes() -> list[tuple[int, int, int, str]]:
    """(pid, parent pid, process group, command line) of every process, from /proc (no ps in slim images)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, pgrp, ...
            args = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # ended meanwhile
            continue
        found.append((int(stat.parent.name), int(fields[1]), int(fields[2]), args))
    return found


def test_make_run_fires_a_limit_alert_from_its_schedule_and_stops_on_ctrl_c(tmp_path):
    data = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(COSTDASH_DATA_DIR=str(data), COSTDASH_ALERT_CHECK_SECONDS="2", COSTDASH_ALERT_SWEEP_SECONDS="2",
               COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK="true", COSTDASH_WORKER_LOG_LEVEL="INFO", DJANGO_DEBUG="true")
    port = free_port()
    migrate, demo_load, serve = make_run_lines(port)
    assert "migrate" in migrate and "demo_load" in demo_load and f"run_embedded 127.0.0.1:{port}" in serve

    def shell(command: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, check=True, capture_output=True,
                              text=True, timeout=300, **kwargs)

    shell(migrate)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    transcript = write_jsonl(tmp_path / "projects" / "app" / "s-1.jsonl", [
        assistant_line(ts=now, model="claude-sonnet-4-6", input_tokens=0, output=1_000_000, read=0)])
    shell(f".venv/bin/python manage.py import_usage {transcript.parent.parent} --developer ana@example.com")

    receiver = HttpReceiver().start()
    log = tmp_path / "make-run.log"
    with open(log, "w") as out:  # its own process group, as make's recipe has in a terminal
        server = subprocess.Popen(["bash", "-c", serve], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        wait_for("the web server", lambda: answers(f"http://127.0.0.1:{port}/login/"), 120, log)
        limit_pk = int(shell(".venv/bin/python manage.py shell -c " + shlex.quote(
            SEED.format(url=receiver.url, secret=SECRET))).stdout.split()[-1])

        rows = wait_for("three spend-limit alerts", lambda: len(limit_events(data / "costdash.sqlite3")) == 3
                        and limit_events(data / "costdash.sqlite3"), 120, log)
        assert [(Decimal(str(share)), Decimal(str(figure)), Decimal(str(line)), subject)
                for _, share, figure, line, subject in rows] == [
            (Decimal(50), Decimal("15.00"), Decimal("5.00"), f"limit:{limit_pk}"),
            (Decimal(80), Decimal("15.00"), Decimal("8.00"), f"limit:{limit_pk}"),
            (Decimal(100), Decimal("15.00"), Decimal("10.00"), f"limit:{limit_pk}"),
        ]

        # Delivered by the worker (alert_deliver -> alert_notify, queued through the folder broker): once each.
        ids = {str(row[0]) for row in rows}

        def posts() -> list:
            return [r for r in receiver.received if r.headers.get("X-Costdash-Event") in ids]
        wait_for("the three webhook deliveries", lambda: {r.headers["X-Costdash-Event"] for r in posts()} == ids,
                 120, log)
        time.sleep(6)  # three more checks and sweeps: nothing is raised or sent twice
        assert len(limit_events(data / "costdash.sqlite3")) == 3
        assert sorted(r.headers["X-Costdash-Event"] for r in posts()) == sorted(ids)
        assert sorted(Decimal(json.loads(r.body)["threshold"]) for r in posts()) == [5, 8, 10]
        assert {json.loads(r.body)["figure"] for r in posts()} == {"15"}
        # Each step went through the folder broker to the worker ("received" is the worker taking a message):
        # beat's check, then the deliveries it queued, then one notification per alert and channel.
        received = re.findall(r"Task costdash\.alerts\.tasks\.(\w+)\[[0-9a-f-]+\] received", log.read_text())
        assert "alerts_evaluate" in received
        assert received.count("alert_deliver") >= 3 and received.count("alert_notify") >= 3, received

        # The schedule's state and the queue are in the data folder.
        assert list((data / "celery").glob("beat-schedule*")), sorted(p.name for p in (data / "celery").iterdir())
        assert (data / "celery" / "queue").is_dir()

        children = [pid for pid, parent, _, _ in processes() if parent == server.pid]
        assert len(children) == 2, children  # the worker and runserver, each leading a process group
    finally:
        os.killpg(server.pid, signal.SIGINT)  # Ctrl-C
        try:
            server.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            raise
        finally:
            receiver.stop()
    assert server.returncode == 0, log.read_text()[-4000:]
    left = [process for process in processes() if process[2] in children]
    assert not left, f"processes of make run outlived Ctrl-C: {left}"
    assert not answers(f"http://127.0.0.1:{port}/login/")


def effective_celery_settings(tmp_path, **env) -> dict:
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environment.update(COSTDASH_DATA_DIR=str(tmp_path / "var"), DJANGO_DEBUG="true", **env)
    code = ("import json; from costdash.celery import app; c = app.conf; print(json.dumps({k: c[k] for k in ("
            "'broker_url', 'task_always_eager', 'broker_transport_options', 'beat_schedule_filename', "
            "'worker_enable_remote_control')}))")
    out = subprocess.run([".venv/bin/python", "manage.py", "shell", "-c", code], cwd=ROOT, env=environment,
                         check=True, capture_output=True, text=True, timeout=120).stdout
    return json.loads(out.splitlines()[-1])


def test_without_redis_the_broker_is_a_folder_and_with_redis_nothing_changes(tmp_path):
    var = tmp_path / "var"
    assert effective_celery_settings(tmp_path) == {
        "broker_url": "filesystem://localhost/", "task_always_eager": True,
        "broker_transport_options": {"data_folder_in": str(var / "celery" / "queue"),
                                     "data_folder_out": str(var / "celery" / "queue"),
                                     "control_folder": str(var / "celery" / "control"), "polling_interval": 1},
        "beat_schedule_filename": str(var / "celery" / "beat-schedule"), "worker_enable_remote_control": False,
    }
    # Production (REDIS_URL): as before this change, Celery's own defaults for the rest.
    assert effective_celery_settings(tmp_path, REDIS_URL="redis://127.0.0.1:6379/3") == {
        "broker_url": "redis://127.0.0.1:6379/3", "task_always_eager": False, "broker_transport_options": {},
        "beat_schedule_filename": "celerybeat-schedule", "worker_enable_remote_control": True,
    }
