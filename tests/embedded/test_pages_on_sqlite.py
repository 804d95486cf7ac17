"""The pages on the embedded default (SQLite, `make run`) over ranges holding whole months, where the
selectors read month rollups and unite their parts in SQL that SQLite must take too (the suite otherwise
runs on PostgreSQL). A real import into a fresh SQLite data folder, in a process of its own.

Ana's transcript: session s1 on 31 March and 2 April in /w/shop (it spans two months), s2 on 10 April in
/w/shop, s3 on 3 May in /w/infra: four requests. From 15 March to 20 May (April whole) Ana has three
sessions; /w/shop two, /w/infra one."""
from __future__ import annotations

import json
import os
from pathlib import Path
import subprocess
import sys

import pytest

from tests.ingest.transcripts import assistant_line, write_jsonl

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = r"""
import json, os, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()  # responses carry their template context
from costdash.ingest.services import usage_import
from costdash.rollups.services import daily_cost_recompute_dirty
assert usage_import([sys.argv[1]], developer_email="ana@example.com").status == "done"
daily_cost_recompute_dirty()
admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-0123456789")
client = Client(HTTP_HOST="127.0.0.1")  # a host the embedded default allows
client.force_login(admin)
out = {}
for name, path in (("overview", "/"), ("developers", "/developers/"), ("projects", "/projects/"),
                   ("sessions", "/sessions/"), ("cache", "/cache/"), ("models", "/models/")):
    for label, params in (("months", {"since": "2026-03-15", "until": "2026-05-20"}),
                          ("april", {"since": "2026-04-01", "until": "2026-04-30"}),
                          ("shop", {"since": "2026-03-15", "until": "2026-05-20", "project": "/w/shop"})):
        response = client.get(path, params)
        out[f"{name} {label}"] = response.status_code
        if response.status_code == 200 and name == "developers":
            out[f"{name} {label} sessions"] = [row["sessions"] for row in response.context["table"]["developers"]]
        if response.status_code == 200 and name == "projects":
            table = response.context["table"]
            out[f"{name} {label} sessions"] = [table["sessions"], {p["name"]: p["sessions"] for p in table["projects"]}]
print(json.dumps(out))
"""


def test_the_pages_over_whole_months_on_sqlite(tmp_path):
    lines = []
    for n, (ts, session, cwd) in enumerate((("2026-03-31T10:00:00Z", "s1", "/w/shop"),
                                            ("2026-04-02T10:00:00Z", "s1", "/w/shop"),
                                            ("2026-04-10T10:00:00Z", "s2", "/w/shop"),
                                            ("2026-05-03T10:00:00Z", "s3", "/w/infra"))):
        line = assistant_line(msg=f"m{n}", req=f"r{n}", ts=ts, session=session)
        line["cwd"] = cwd
        lines.append(line)
    transcript = write_jsonl(tmp_path / "ana" / "s.jsonl", lines)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(COSTDASH_DATA_DIR=str(tmp_path / "var"), DJANGO_DEBUG="true", DJANGO_SETTINGS_MODULE="costdash.settings")
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(transcript)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    assert (tmp_path / "var" / "costdash.sqlite3").exists()  # the embedded default's database
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert {key: status for key, status in found.items() if isinstance(status, int) and status != 200} == {}
    assert found["developers months sessions"] == [3]
    assert found["developers april sessions"] == [2]
    assert found["developers shop sessions"] == [2]
    assert found["projects months sessions"] == [3, {"/w/shop": 2, "/w/infra": 1}]
    assert found["projects april sessions"] == [2, {"/w/shop": 2}]
    assert found["projects shop sessions"] == [2, {"/w/shop": 2}]
