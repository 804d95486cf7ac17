"""A fake Admin API loaded with the docs' example records, and a connection pointing at it."""
import copy
from datetime import date, timedelta
import json

import pytest

from costdash.connectors.client import RetryPolicy
from costdash.connectors.models import AdminApiConnection
from costdash.connectors.services import connection_save
from tests.connectors.fake_admin_api import FakeAdminApi

KEY = "sk-ant-admin01-TESTSECRET-0123456789abcdefghijklmnopqrstuvwxyz-Zq9w"
TODAY = date(2026, 5, 10)
START = date(2026, 5, 5)  # six days, 05-05..05-10: with two buckets a page, three pages
DAYS = [START + timedelta(days=n) for n in range((TODAY - START).days + 1)]
FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05, retry_after_cap=5.0, timeout=5.0)


def sample(samples, name: str) -> dict:
    return json.loads((samples / "admin-api" / name).read_text())


def fill(api: FakeAdminApi, samples, days=DAYS) -> None:
    """One docs-example result (usage, cost) and one Claude Code record per day."""
    usage = sample(samples, "usage_report_messages.docs_example.json")["data"][0]["results"][0]
    cost = sample(samples, "cost_report.docs_example.json")["data"][0]["results"][0]
    record = sample(samples, "usage_report_claude_code.docs_example.json")["data"][0]
    record = {k: v for k, v in record.items() if k != "date"}  # the server dates it
    for day in days:
        api.data["messages"][day] = [copy.deepcopy(usage)]
        api.data["cost"][day] = [copy.deepcopy(cost)]
        api.data["claude_code"][day] = [copy.deepcopy(record)]


@pytest.fixture
def fake_api(samples, settings):
    settings.COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK = True  # the stand-in is plain http on 127.0.0.1
    api = FakeAdminApi(KEY).start()
    fill(api, samples)
    yield api
    api.stop()


@pytest.fixture
def make_connection(db, fake_api):
    def make(name="Acme", key=KEY, **fields) -> AdminApiConnection:
        fields.setdefault("start_date", START)
        connection = AdminApiConnection(name=name, base_url=fake_api.url, **fields)
        return connection_save(connection, admin_key=key)

    return make
