"""What a command that queues no task does not load (Celery, every app's admin module, every parser,
cryptography), and what loads Celery where a task is used: each test in a fresh process (this one has them all).

Celery's app is loaded by the tasks modules (they take ``shared_task`` from costdash.celery), not when Django
starts (costdash.lib.celery_signals). A tasks module taking it from ``celery`` would bind its tasks to whichever
app is current when first used, Celery's unconfigured default app if costdash.celery was never imported.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
import re
import subprocess
import sys

ROOT = Path(__file__).resolve().parents[1]


def fresh(code: str) -> dict:
    """Run ``code`` (which prints one JSON line last) after django.setup() in a new interpreter."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "costdash.settings", "DJANGO_DEBUG": "true"}
    setup = "import json, sys, django; django.setup()\n"
    out = subprocess.run([sys.executable, "-c", setup + code], cwd=ROOT, env=env, check=True, capture_output=True,
                         text=True, timeout=120).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_the_import_command_loads_no_celery_admin_module_parser_or_cryptography():
    loaded = fresh(
        "import costdash.ingest.management.commands.import_usage\n"
        "from costdash.ingest.parsers import parser_for\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('celery', 'kombu', 'cryptography')"
        " or (m.endswith('.admin') and not m.startswith('django.contrib.admin'))"
        " or m.startswith('costdash.ingest.parsers.litellm'))))"
    )
    assert loaded == []


def test_a_task_used_in_any_thread_is_bound_to_the_costdash_app_with_its_signal_handlers():
    result = fresh(
        "import threading\n"
        "from celery.signals import before_task_publish, task_postrun, task_prerun\n"
        "seen = {}\n"
        "def use():\n"
        "    from costdash.ops.tasks import ops_heartbeat\n"
        "    seen['task'] = ops_heartbeat.app.main\n"
        "thread = threading.Thread(target=use); thread.start(); thread.join()\n"
        "from celery import current_app\n"
        "print(json.dumps({**seen, 'current': current_app.main,\n"
        "    'receivers': [len(s.receivers) for s in (before_task_publish, task_prerun, task_postrun)]}))"
    )
    # In the main thread too (Celery's Django fix-up makes it the default app); audit's task_prerun/postrun and
    # the beat heartbeat's before_task_publish connected as it loaded (ready() ran first here).
    assert result == {"task": "costdash", "current": "costdash", "receivers": [1, 1, 1]}


def test_every_tasks_module_takes_shared_task_from_costdash_celery():
    modules = sorted((ROOT / "costdash").glob("*/tasks.py"))
    assert len(modules) >= 6
    for path in modules:
        text = path.read_text()
        if "shared_task" in text:
            assert "from costdash.celery import shared_task" in text, path
            assert not re.search(r"^from celery import .*shared_task", text, re.M), path


def test_the_admin_site_still_has_every_modeladmin_once_its_urls_are_made():
    counts = fresh(
        "from django.contrib import admin\n"
        "before = len(admin.site._registry)\n"
        "from django.urls import reverse\n"
        "reverse('admin:index')\n"
        "print(json.dumps([before, len(admin.site._registry)]))"
    )
    assert counts[0] == 0 and counts[1] >= 30


def test_the_re_import_before_django_imports_neither_django_nor_celery():
    """manage.py asks ingest.fast_reimport first (an unchanged tree without Django): importing it, and
    everything it may import while it works but psycopg's own modules, loads neither."""
    code = (
        "import json, sys\n"
        "import costdash.ingest.fast_reimport\n"
        "from costdash.ingest.parsers import parser_for\n"
        "parser_for(b'{}', 'x.json')\n"
        "import dj_database_url\n"
        "dj_database_url.parse('postgres://u@h:5432/d')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery', 'kombu'))))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True,
                         timeout=120).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []
