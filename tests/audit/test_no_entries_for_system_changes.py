"""The system's own changes are not audit entries: imports (command, upload, live OTLP), the recompute, alerts
raised and delivered, token use. Only what a person changes is recorded; the models the system fills are not
followed at all (no receiver runs for them on save)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
import json

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models.signals import post_save, pre_save
from django.test import Client
import pytest

from costdash.accounts.models import Developer, Identity
from costdash.alerts.models import AlertEvent, AlertRule, Channel
from costdash.alerts.services import channel_save
from costdash.alerts.tasks import alerts_evaluate
from costdash.audit.actor import acting_as
from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import IngestToken, UsageEvent
from costdash.rollups.models import DailyCost
from costdash.rollups.tasks import daily_cost_recompute_dirty
from tests.ingest.transcripts import assistant_line, write_jsonl

pytestmark = pytest.mark.django_db

SYSTEM_FILLED = ["ingest.UsageEvent", "ingest.ImportBatch", "ingest.ImportedFile", "rollups.DailyCost",
                 "rollups.DeveloperDay", "alerts.AlertEvent", "alerts.Notification", "chargeback.DailyDimensionCost",
                 "chargeback.MonthlyDimensionCost", "chargeback.MonthlyCost", "ratelimits.MinuteUsage", "reports.GeneratedReport",
                 "reports.MonthCloseLine", "budgets.BudgetPush", "connectors.AdminApiCursor", "sso.SsoAccount"]


def test_the_models_the_system_fills_are_not_followed():
    for label in SYSTEM_FILLED:
        model = apps.get_model(label)
        assert not auditlog.contains(model), label
        # No receiver of the audit trail on their saves: a bulk of them costs nothing more.
        receivers = [r for signal in (pre_save, post_save) for r in signal._live_receivers(model)[0]]
        assert not [r for r in receivers if "auditlog" in getattr(r, "__module__", "")], label


def test_an_import_by_command_and_its_recompute_write_no_entry(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", [assistant_line(msg="m1", req="r1"), assistant_line(msg="m2", req="r2")])
    call_command("import_usage", str(path), "--developer", "new.dev@example.com", "--no-progress")
    daily_cost_recompute_dirty()
    assert Developer.objects.filter(email="new.dev@example.com").exists() and DailyCost.objects.exists()
    assert LogEntry.objects.count() == 0


def test_an_admins_upload_records_nothing_of_the_import_itself(admin_user, django_capture_on_commit_callbacks):
    """The import and recompute run as tasks (in-process here, as under `make run`): the system's work even while
    serving an admin's POST. Naming an existing developer maps nothing new."""
    ana = Developer.objects.create(email="ana@example.com")
    Identity.objects.create(source="claude_code_jsonl", external_id="ana@example.com", developer=ana)
    client = Client()
    client.force_login(admin_user)
    body = "\n".join(json.dumps(assistant_line(msg=f"m{i}", req=f"r{i}")) for i in range(3)) + "\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/upload/", {"file": SimpleUploadedFile("s.jsonl", body.encode()),
                                                    "developer_email": "ana@example.com"})
    assert response.status_code == 302
    assert UsageEvent.objects.count() == 3 and DailyCost.objects.get().requests == 3
    assert LogEntry.objects.count() == 0


def test_live_ingest_with_a_token_writes_no_entry(tmp_path):
    _, raw = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)
    body = {"resourceLogs": [{"resource": {"attributes": []}, "scopeLogs": [{"logRecords": [{
        "timeUnixNano": "1772445600000000000",
        "attributes": [{"key": "event.name", "value": {"stringValue": "api_request"}},
                       {"key": "user.email", "value": {"stringValue": "live.dev@example.com"}},
                       {"key": "model", "value": {"stringValue": "claude-sonnet-4-6"}},
                       {"key": "request_id", "value": {"stringValue": "req_live_1"}},
                       {"key": "input_tokens", "value": {"intValue": 10}},
                       {"key": "output_tokens", "value": {"intValue": 20}}]}]}]}]}
    response = Client().post("/v1/logs", data=json.dumps(body), content_type="application/json",
                             headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert IngestToken.objects.get().requests == 1  # the token's counters moved
    assert LogEntry.objects.count() == 0


def test_tasks_run_in_a_persons_context_are_still_the_systems(admin_user, tmp_path, mailoutbox,
                                                               django_capture_on_commit_callbacks):
    """A recompute and an alert raised and delivered (a channel's last success written) inside acting_as(admin):
    each runs as a Celery task, so nothing is recorded; what the admin changes right after is."""
    now = (datetime.now(UTC) - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    path = write_jsonl(tmp_path / "s.jsonl", [assistant_line(msg="m1", req="r1", ts=now, output=2_000_000)])
    call_command("import_usage", str(path), "--developer", "ana@example.com", "--no-progress")
    AlertRule.objects.all().delete()
    AlertRule.objects.create(kind="daily_ceiling", threshold=Decimal("1"))
    channel = channel_save(Channel(kind="email", name="Finance"), {"to": ["finance@example.com"]})
    with acting_as(admin_user):
        with django_capture_on_commit_callbacks(execute=True):  # delivery is queued at commit
            daily_cost_recompute_dirty.delay()
            alerts_evaluate.delay()
        assert AlertEvent.objects.count() == 1 and mailoutbox  # raised and sent
        channel.refresh_from_db()
        assert channel.last_success_at is not None
        assert LogEntry.objects.count() == 0
        channel.name = "Finance team"
        channel.save()
    (entry,) = LogEntry.objects.all()
    assert entry.actor == admin_user and entry.changes == {"name": ["Finance", "Finance team"]}


def test_reading_a_page_that_creates_a_settings_row_is_not_a_change(developer_user):
    """OrgSettings is created on first read: a GET by anyone is never recorded as their change."""
    from costdash.accounts.models import OrgSettings

    OrgSettings.objects.all().delete()
    client = Client()
    client.force_login(developer_user)
    assert client.get("/").status_code == 200
    assert OrgSettings.objects.exists() and LogEntry.objects.count() == 0


@pytest.mark.parametrize("label", ["auth.User", "alerts.Channel", "connectors.AdminApiConnection"])
def test_followed_models_have_their_receivers(label):
    assert auditlog.contains(apps.get_model(label))
