"""Operational alerts from the real paths: an import that fails, an Admin API pull refused for its
key (a real local stand-in of the API), and a model seen without a price."""
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
import pytest

from costdash.alerts.models import AlertEvent, AlertRule
from costdash.connectors.client import RetryPolicy
from costdash.connectors.models import AdminApiConnection
from costdash.connectors.services import admin_api_pull, connection_save
from costdash.ingest.models import ImportBatch
from costdash.ingest.services import usage_import
from tests.alerts.conftest import costly_lines, org_today
from tests.connectors.fake_admin_api import FakeAdminApi
from tests.ingest.transcripts import assistant_line

pytestmark = pytest.mark.django_db
KEY = "sk-ant-admin01-RIGHT-0123456789abcdefghijklmnopqrstuvwxyz-Aa11"
WRONG = "sk-ant-admin01-WRONG-0123456789abcdefghijklmnopqrstuvwxyz-Zz99"


@pytest.fixture
def rules(default_rules):
    AlertRule.objects.exclude(kind__in=["import_failed", "connector_failed", "unpriced_model"]).update(enabled=False)
    return default_rules


def test_a_failed_import_alerts_once_with_its_reason(rules, tmp_path, evaluate):
    batch = usage_import([tmp_path / "missing.jsonl"], developer_email="ana@example.com")
    assert batch.status == ImportBatch.Status.FAILED
    evaluate()
    evaluate()
    event = AlertEvent.objects.get()
    assert (event.rule.kind, event.subject_key, event.day, event.link) == (
        "import_failed", f"batch:{batch.pk}", org_today(), f"/imports/{batch.pk}/")
    assert event.summary.startswith(f"Import #{batch.pk} of Claude Code transcripts (JSONL) ({tmp_path}/missing.jsonl) "
                                    f"failed on {org_today():%Y-%m-%d}: ")
    assert batch.failure.splitlines()[0] in event.summary


def test_old_failures_are_not_news(rules, tmp_path, evaluate, settings):
    batch = usage_import([tmp_path / "missing.jsonl"], developer_email="ana@example.com")
    ImportBatch.objects.filter(pk=batch.pk).update(
        created_at=timezone.now() - timedelta(days=settings.COSTDASH_ALERT_LOOKBACK_DAYS + 1))
    evaluate()
    assert not AlertEvent.objects.exists()


def test_a_connection_refused_for_its_key_alerts_once_a_day_without_the_key(rules, evaluate, settings):
    settings.COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK = True  # the stand-in is plain http on 127.0.0.1
    api = FakeAdminApi(KEY).start()
    try:
        connection = connection_save(AdminApiConnection(name="Acme", base_url=api.url, pull_cost=False,
                                                        pull_claude_code=False), admin_key=WRONG)
        admin_api_pull(connection.pk, retry=RetryPolicy(attempts=1, base=0.01, cap=0.01, timeout=5.0))
    finally:
        api.stop()
    connection.refresh_from_db()
    assert "401" in connection.last_error
    evaluate()
    evaluate()
    events = {e.rule.kind: e for e in AlertEvent.objects.all()}
    assert sorted(events) == ["connector_failed", "import_failed"]  # the run and its endpoint's import
    failing = events["connector_failed"]
    assert (failing.subject_key, failing.day, failing.link) == (f"connector:{connection.pk}", org_today(), "/connectors/")
    assert failing.summary.startswith("Admin API connection Acme failed on its run of ") and "401" in failing.summary
    assert all(WRONG[15:-4] not in e.summary for e in events.values())
    AdminApiConnection.objects.filter(pk=connection.pk).update(last_run_at=timezone.now() + timedelta(days=1))
    evaluate(now=timezone.now() + timedelta(days=1))  # still failing the next day: once more
    assert AlertEvent.objects.filter(rule__kind="connector_failed").count() == 2
    AdminApiConnection.objects.filter(pk=connection.pk).update(enabled=False, last_run_at=timezone.now() + timedelta(days=2))
    evaluate(now=timezone.now() + timedelta(days=2))  # paused: not alerted
    assert AlertEvent.objects.filter(rule__kind="connector_failed").count() == 2


def test_a_model_without_a_price_alerts_once_a_month_from_the_import(rules, import_lines):
    day = org_today()
    unknown = [assistant_line(msg=f"msg_u{i}", req=f"req_u{i}", ts=f"{day}T09:0{i}:00.000Z", model="claude-mystery-9")
               for i in range(3)]
    import_lines(unknown + costly_lines(day, 1))
    event = AlertEvent.objects.get()
    assert (event.rule.kind, event.subject_key, event.day, event.figure) == (
        "unpriced_model", "model:claude-mystery-9", day.replace(day=1), Decimal("3"))
    assert event.summary.startswith(f"claude-mystery-9 has 3 requests without a price in {day:%B %Y} "
                                    f"(first on {day:%Y-%m-%d}): they are left out of every cost, not counted as $0.")
    assert event.link == f"/models/?model=claude-mystery-9&since={day}&until={day}"
    more = [assistant_line(msg="msg_u9", req="req_u9", ts=f"{day}T11:00:00.000Z", model="claude-mystery-9")]
    import_lines(more, name="more.jsonl")
    assert AlertEvent.objects.count() == 1
