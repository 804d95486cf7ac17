"""Log lines: COSTDASH_LOG_FORMAT=json gives one JSON object per line; no secret reaches a line in either format."""
import json
import logging
import os
from pathlib import Path
import subprocess
import sys

import pytest

from costdash.ops.logs import JsonFormatter, TextFormatter

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "django-secret-" + "s3" * 20
DB_PASSWORD = "pg-pass-Zq9xT4"
INGEST_TOKEN = "cdi_" + "A1b2C3d4" * 5
API_TOKEN = "cdk_" + "Z9y8X7w6" * 5
ADMIN_KEY = "sk-ant-admin01-" + "k" * 40
# Logged by the child process below: every secret the settings hold or a request could carry, in the ways a
# message or an exception might show them.
SCRIPT = f"""
import logging
log = logging.getLogger("costdash.probe")
log.info("key %s db %s", {SECRET_KEY!r}, {DB_PASSWORD!r})
log.warning("sent Authorization: Bearer {INGEST_TOKEN} and token {API_TOKEN} to https://bob:hunter2pw@example.com/x")
log.info("connector key {ADMIN_KEY}; password=letmein123 api_key: abcdef123456")
try:
    raise ValueError("redis://:{DB_PASSWORD}@10.0.0.7:6379/0 refused")
except ValueError:
    log.exception("could not queue")
"""
SECRETS = (SECRET_KEY, DB_PASSWORD, INGEST_TOKEN, API_TOKEN, ADMIN_KEY, "hunter2pw", "letmein123", "abcdef123456")


def run_logging(log_format: str) -> subprocess.CompletedProcess:
    """SCRIPT in a process started as every costdash process is (settings loaded, logging configured)."""
    env = {**os.environ, "COSTDASH_LOG_FORMAT": log_format, "DJANGO_SECRET_KEY": SECRET_KEY,
           "DATABASE_URL": f"postgres://costdash:{DB_PASSWORD}@127.0.0.1:5432/unused", "DJANGO_DEBUG": "false",
           "DJANGO_SETTINGS_MODULE": "costdash.settings"}
    return subprocess.run([sys.executable, "-c", "import django\ndjango.setup()\n" + SCRIPT], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_json_lines_parse_and_hold_no_secret():
    done = run_logging("json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    probe = [line for line in lines if line["logger"] == "costdash.probe"]
    assert [line["level"] for line in probe] == ["INFO", "WARNING", "INFO", "ERROR"]
    assert all(set(line) >= {"time", "level", "logger", "message"} and line["time"].endswith("+00:00")
               for line in lines)
    assert probe[0]["message"] == "key [masked] db [masked]"
    assert probe[1]["message"] == ("sent Authorization: Bearer [masked] and token [masked] to "
                                   "https://bob:[masked]@example.com/x")
    assert probe[2]["message"] == "connector key [masked]; password=[masked] api_key: [masked]"
    assert probe[3]["message"] == "could not queue"
    assert "ValueError: redis://:[masked]@10.0.0.7:6379/0 refused" in probe[3]["exc_info"]
    for secret in SECRETS:
        assert secret not in done.stderr


def test_text_lines_hold_no_secret_either():
    done = run_logging("text")
    assert done.returncode == 0, done.stderr
    assert "INFO costdash.probe key [masked] db [masked]" in done.stderr
    for secret in SECRETS:
        assert secret not in done.stderr


def test_an_unknown_format_stops_start_up():
    done = run_logging("xml")
    assert done.returncode != 0 and "COSTDASH_LOG_FORMAT must be text or json, not 'xml'" in done.stderr


@pytest.mark.django_db
def test_a_request_logs_its_request_id_and_answers_with_it(client):
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append((JsonFormatter().format(record), TextFormatter("%(message)s").format(record)))

    handler, logger = Keep(), logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        mine = client.get("/nothing-here/", headers={"X-Request-ID": "lb-7f3a9c21"})  # a 404: django.request warns
        theirs = client.get("/nothing-here/", headers={"X-Request-ID": "bad id\nforged line"})
    finally:
        logger.removeHandler(handler)
    assert mine.status_code == 404 and mine["X-Request-ID"] == "lb-7f3a9c21"
    assert len(theirs["X-Request-ID"]) == 32 and "\n" not in theirs["X-Request-ID"]  # replaced by our own
    first, second = (json.loads(line) for line, _ in records)
    assert first["request_id"] == "lb-7f3a9c21" and first["logger"] == "django.request"
    assert first["message"] == "Not Found: /nothing-here/"
    assert second["request_id"] == theirs["X-Request-ID"]
    assert "request_id" not in json.loads(JsonFormatter().format(logging.LogRecord("x", 20, "", 0, "outside", (), None)))


def test_celerys_own_text_lines_are_masked_in_a_worker_or_beat():
    """With text logs a worker or beat keeps Celery's format; the handlers Celery sets up get the masking."""
    from celery.app.log import TaskFormatter
    from celery.signals import after_setup_logger

    from costdash.ops.logs import MaskingFormatter, celery_logging_connect

    celery_logging_connect("text")  # what OpsConfig.ready() did at start-up; connecting again changes nothing
    logger = logging.getLogger("costdash.test_celery_lines")
    handler = logging.StreamHandler()
    handler.setFormatter(TaskFormatter("[%(levelname)s/%(processName)s] %(message)s", use_color=False))
    logger.addHandler(handler)
    try:
        after_setup_logger.send(sender=None, logger=logger, loglevel=logging.INFO, logfile=None, format="",
                                colorize=False)
        assert isinstance(handler.formatter, MaskingFormatter)
        record = logging.LogRecord("x", logging.WARNING, "", 0, "retrying with %s", (f"Bearer {INGEST_TOKEN}",), None)
        assert handler.format(record) == "[WARNING/MainProcess] retrying with Bearer [masked]"
    finally:
        logger.removeHandler(handler)


@pytest.mark.django_db
def test_the_access_log_gives_each_requests_figures_and_never_its_path(client, settings):
    settings.COSTDASH_ACCESS_LOG = True
    lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(JsonFormatter().format(record)))

    handler, logger = Keep(), logging.getLogger("costdash.access")
    logger.addHandler(handler)
    try:
        client.get("/healthz/", headers={"X-Request-ID": "lb-00000001"})
        client.get("/invite/Mg/c0ffee-invite-token-1234/")  # an invite's link: its token is in the path
        settings.COSTDASH_ACCESS_LOG = False
        client.get("/healthz/")
    finally:
        logger.removeHandler(handler)
    assert len(lines) == 2
    first, second = lines
    assert {k: first[k] for k in ("level", "logger", "request_id", "method", "view", "status")} == {
        "level": "INFO", "logger": "costdash.access", "request_id": "lb-00000001", "method": "GET",
        "view": "ops:healthz", "status": 200}
    assert first["message"] == f"GET ops:healthz 200 {first['duration_ms']:.1f} ms" and first["duration_ms"] >= 0
    assert second["view"] == "invite_accept" and "c0ffee" not in json.dumps(second)
