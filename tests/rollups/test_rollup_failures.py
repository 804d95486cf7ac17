"""One developer-day whose rollup cannot be computed is set aside: the other days still compute,
its error is recorded and alerted on once, it is retried later, and it recovers once its bad row
is gone. The bad row is real: an event dated 9999-12-31T23:59:59Z, written to the table directly
as an older import would have stored it (the day after it does not exist)."""
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone

from django.utils import timezone
import pytest

from costdash.alerts.defaults import rules_create_defaults
from costdash.alerts.models import AlertEvent, AlertRule
from costdash.ingest.models import Source, UsageEvent
from costdash.ingest.services import usage_import
from costdash.rollups import tasks
from costdash.rollups.models import DailyCost, DirtyDay
from costdash.rollups.services import daily_cost_mark_dirty
from tests.alerts.conftest import org_today
from tests.ingest.transcripts import assistant_line, write_jsonl

pytestmark = pytest.mark.django_db
LAST_DAY = date(9999, 12, 31)


@pytest.fixture
def rules(db):
    """The default rules (made by migration; made again here for tests that flush), only "Rollup failed" on."""
    AlertRule.objects.all().delete()
    rules_create_defaults(AlertRule)
    AlertRule.objects.exclude(kind="rollup_failed").update(enabled=False)


@pytest.fixture
def two_developers(tmp_path):
    """Ana and Bob each used Claude Code today; Ana's yesterday holds two events of 6e18 output
    tokens each (stored before any bound was checked): their sum is past a bigint, so her
    yesterday cannot be rolled up."""
    today = org_today()
    ana = usage_import([write_jsonl(tmp_path / "a.jsonl", [_line("a", today)])], developer_email="ana@example.com")
    bob = usage_import([write_jsonl(tmp_path / "b.jsonl", [_line("b", today)])], developer_email="bob@example.com")
    ana, bob = ana.developer, bob.developer
    DailyCost.objects.all().delete()  # their rollups are to be written by the recompute below
    yesterday = today - timedelta(days=1)
    for i in range(2):
        UsageEvent.objects.create(
            dedupe_key=f"cc:msg_huge{i}", source=Source.CLAUDE_CODE_JSONL, developer=ana,
            timestamp=datetime.combine(yesterday, time(10, i), dt_timezone.utc), model="claude-sonnet-4-6",
            raw_model="claude-sonnet-4-6", message_id=f"msg_huge{i}", output_tokens=6 * 10**18,
        )
    daily_cost_mark_dirty([(ana.pk, today), (bob.pk, today), (ana.pk, yesterday)])
    return ana, bob, today


def _line(tag, day):
    return assistant_line(msg=f"msg_{tag}", req=f"req_{tag}", ts=f"{day}T10:00:00.000Z", output=100)


def _recompute(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return tasks.daily_cost_recompute_dirty()


def test_a_day_that_cannot_be_computed_stops_no_other(rules, two_developers, django_capture_on_commit_callbacks):
    ana, bob, today = two_developers
    assert _recompute(django_capture_on_commit_callbacks) == 2  # Ana's today and Bob's today
    assert set(DailyCost.objects.values_list("developer_id", "day")) == {(ana.pk, today), (bob.pk, today)}
    yesterday = today - timedelta(days=1)
    failing = DirtyDay.objects.get()
    assert (failing.developer_id, failing.day, failing.attempts) == (ana.pk, yesterday, 1)
    # PostgreSQL: "DataError: bigint out of range"; SQLite: "OperationalError: integer overflow"
    assert failing.error.startswith(("DataError: bigint out of range", "OperationalError: integer overflow"))
    assert failing.retry_at > timezone.now()
    event = AlertEvent.objects.get()
    assert (event.rule.kind, event.subject_key, event.developer_id, event.day) == (
        "rollup_failed", f"rollup:{ana.pk}:{yesterday}", ana.pk, today)
    assert event.summary.startswith(f"Rollup of ana@example.com for {yesterday} failed (1 attempt, next at ")
    assert failing.error in event.summary

    assert _recompute(django_capture_on_commit_callbacks) == 0  # not due yet: left alone
    assert DirtyDay.objects.get().attempts == 1
    DirtyDay.objects.update(retry_at=timezone.now() - timedelta(seconds=1))
    assert _recompute(django_capture_on_commit_callbacks) == 0  # due: tried again, fails again
    failing = DirtyDay.objects.get()
    assert failing.attempts == 2 and failing.retry_at - failing.failed_at == timedelta(seconds=120)
    assert AlertEvent.objects.count() == 1  # alerted once

    UsageEvent.objects.filter(pk="cc:msg_huge1").delete()
    daily_cost_mark_dirty([(ana.pk, yesterday)])  # marked again: due at once, backoff or not
    assert _recompute(django_capture_on_commit_callbacks) == 1
    assert not DirtyDay.objects.exists()
    assert DailyCost.objects.get(developer=ana, day=yesterday).output_tokens == 6 * 10**18
    assert AlertEvent.objects.count() == 1


def test_an_event_on_the_last_day_of_the_calendar_stops_no_other(rules, two_developers,
                                                                  django_capture_on_commit_callbacks):
    """The issue's line dated 9999-12-31T23:59:59Z (the day after it does not exist): before, the
    org-wide recompute raised on every retry and no developer's rollups moved."""
    ana, bob, today = two_developers
    UsageEvent.objects.filter(pk__startswith="cc:msg_huge").delete()
    UsageEvent.objects.create(
        dedupe_key="cc:msg_far_future", source=Source.CLAUDE_CODE_JSONL, developer=bob,
        timestamp=datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt_timezone.utc), model="claude-sonnet-4-6",
        raw_model="claude-sonnet-4-6", message_id="msg_far_future", output_tokens=10,
    )
    daily_cost_mark_dirty([(bob.pk, LAST_DAY)])
    assert _recompute(django_capture_on_commit_callbacks) == 3  # Ana's two days and Bob's today
    assert set(DailyCost.objects.values_list("developer_id", "day")) == {(ana.pk, today), (bob.pk, today)}
    failing = DirtyDay.objects.get()
    assert (failing.developer_id, failing.day) == (bob.pk, LAST_DAY)
    assert failing.error.startswith("OverflowError")
    assert AlertEvent.objects.get().summary.startswith("Rollup of bob@example.com for 9999-12-31 failed")
