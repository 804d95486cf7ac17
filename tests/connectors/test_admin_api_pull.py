"""Pulling the Admin API end to end: a real local HTTP server, the real parsers, the real database.

Figures from the docs' examples (shared/samples/admin-api/), one per UTC day for the six days
2026-05-05..05-10, served two buckets (or records) a page:
- usage: each day 1500 uncached input, 500 output tokens (claude-opus-5) -> 6 aggregates, 3,000 output;
- cost: each day "123.78912" cents = $1.2378912 -> 6 billed lines, $7.4273472;
- claude_code: each day 15 sessions, and two models at 186 + 42 cents = $2.28 -> 6 activity rows,
  12 aggregates, 90 sessions, $13.68 reported.
"""
import base64
from datetime import timedelta
from decimal import Decimal
import json
import time

from django.db.models import Count, Sum
from django.utils import timezone
import pytest

from costdash.connectors.endpoints import COST_GROUP_BY, USAGE_GROUP_BY
from costdash.connectors.models import AdminApiCursor
from costdash.connectors.services import admin_api_pull
from costdash.ingest.models import ActivityRecord, BilledCost, ImportBatch, UsageAggregate
from tests.connectors.conftest import DAYS, FAST, KEY, START, TODAY
from tests.connectors.fake_admin_api import error_reply

pytestmark = pytest.mark.django_db


def pull(connection, **kw):
    return admin_api_pull(connection.pk, retry=FAST, today=TODAY, **kw)


def offset_of(page: str) -> int:
    return json.loads(base64.urlsafe_b64decode(page.removeprefix("page_")))["offset"]


def assert_clean_totals():
    usage = UsageAggregate.objects.filter(source="anthropic_usage").aggregate(
        n=Count("key"), output=Sum("output_tokens"), input=Sum("input_tokens"))
    assert usage == {"n": 6, "output": 6 * 500, "input": 6 * 1500}
    billed = BilledCost.objects.aggregate(n=Count("key"), amount=Sum("amount"))
    assert billed == {"n": 6, "amount": Decimal("7.4273472")}  # 6 x 123.78912 / 100
    activity = ActivityRecord.objects.filter(source="claude_code_analytics").aggregate(
        n=Count("key"), sessions=Sum("sessions"))
    assert activity == {"n": 6, "sessions": 6 * 15}
    cc = UsageAggregate.objects.filter(source="claude_code_analytics").aggregate(n=Count("key"),
                                                                                 cost=Sum("reported_cost"))
    assert cc == {"n": 12, "cost": Decimal("13.68")}  # 6 x (1.86 + 0.42)
    assert sorted({a.start.date() for a in UsageAggregate.objects.filter(source="anthropic_usage")}) == DAYS


def test_a_clean_pull_sends_the_documented_requests_and_stores_every_day(fake_api, make_connection):
    connection = make_connection()
    batches = pull(connection)

    assert [(b.source, b.status) for b in batches] == [
        ("anthropic_usage", "done"), ("anthropic_cost", "done"), ("claude_code_analytics", "done")]
    assert [b.records_new for b in batches] == [6, 6, 18]
    assert all(b.label == "Admin API pull: Acme" and b.failure == "" and b.rejected == 0 for b in batches)
    assert_clean_totals()

    for seen in fake_api.seen:
        assert seen.headers["x-api-key"] == KEY
        assert seen.headers["anthropic-version"] == "2023-06-01"
    usage = fake_api.requests_to("messages")
    assert len(usage) == 3  # six daily buckets, two a page
    first = usage[0]
    assert first.param("starting_at") == "2026-05-05T00:00:00Z"
    assert first.param("ending_at") == "2026-05-11T00:00:00Z"  # exclusive: today's bucket included
    assert first.param("bucket_width") == "1d" and first.param("limit") == "31"
    assert first.all("group_by[]") == list(USAGE_GROUP_BY)  # repeated, one param each
    assert first.param("page") is None
    for seen, offset in zip(usage[1:], (2, 4), strict=True):
        assert seen.without_page() == first.params  # every other parameter unchanged
        assert offset_of(seen.param("page")) == offset
    cost = fake_api.requests_to("cost")
    assert len(cost) == 3
    assert cost[0].all("group_by[]") == list(COST_GROUP_BY) and cost[0].param("limit") == "31"
    claude_code = fake_api.requests_to("claude_code")
    assert [(s.param("starting_at"), s.param("limit"), s.param("ending_at")) for s in claude_code] == [
        (d.isoformat(), "1000", None) for d in DAYS]

    connection.refresh_from_db()
    assert connection.last_error == "" and connection.last_success_at and connection.running_since is None
    cursors = {c.endpoint: (c.fetched_through, c.next_page) for c in AdminApiCursor.objects.all()}
    assert cursors == {"usage": (TODAY, ""), "cost": (TODAY, ""), "claude_code": (TODAY, "")}


def test_pulling_again_fetches_the_trailing_window_and_changes_nothing(fake_api, make_connection):
    connection = make_connection()
    pull(connection)
    fake_api.seen.clear()

    again = pull(connection)

    assert [(b.records_new, b.records_updated, b.records_unchanged) for b in again] == [
        (0, 0, 3), (0, 0, 3), (0, 0, 6)]  # usage/cost: 05-08..05-10; claude_code: yesterday and today
    assert_clean_totals()
    usage = fake_api.requests_to("messages")
    assert usage[0].param("starting_at") == "2026-05-08T00:00:00Z"
    assert usage[0].param("ending_at") == "2026-05-11T00:00:00Z"
    assert [s.param("starting_at") for s in fake_api.requests_to("claude_code")] == ["2026-05-09", "2026-05-10"]


def test_late_data_replaces_a_partial_day_instead_of_adding_to_it(fake_api, make_connection):
    connection = make_connection()
    pull(connection)
    fake_api.data["messages"][TODAY][0]["output_tokens"] = 800  # today's bucket grew

    batch = pull(connection)[0]

    assert (batch.records_new, batch.records_updated, batch.records_unchanged) == (0, 1, 2)
    total = UsageAggregate.objects.filter(source="anthropic_usage").aggregate(s=Sum("output_tokens"))["s"]
    assert total == 5 * 500 + 800


def test_claude_code_pages_within_one_day(fake_api, make_connection):
    record = fake_api.data["claude_code"][DAYS[2]][0]
    fake_api.data["claude_code"][DAYS[2]] = [
        {**record, "actor": {"type": "user_actor", "email_address": f"dev{i}@example.com"}} for i in range(3)]
    connection = make_connection(pull_usage=False, pull_cost=False)

    batch = pull(connection)[0]

    day = [s for s in fake_api.requests_to("claude_code") if s.param("starting_at") == DAYS[2].isoformat()]
    assert len(day) == 2 and day[1].without_page() == day[0].params and offset_of(day[1].param("page")) == 2
    assert batch.records_new == 6 * 3 + 2 * 3  # 5 days of 1 record + 1 day of 3, each record 1 activity + 2 models
    assert ActivityRecord.objects.filter(start__date=DAYS[2]).count() == 3


def test_a_429_waits_what_retry_after_asks_then_goes_on(fake_api, make_connection):
    connection = make_connection(pull_cost=False, pull_claude_code=False)
    fake_api.intercept = lambda seen, served: error_reply(429, {"retry-after": "1"}) if len(fake_api.seen) == 1 else None

    started = time.monotonic()
    batch = pull(connection)[0]

    assert time.monotonic() - started >= 0.95  # the backoff alone would have waited 0.01 s
    assert batch.status == "done" and batch.records_new == 6
    assert len(fake_api.seen) == 1 + 3
    assert fake_api.seen[1].params == fake_api.seen[0].params  # the same request again


def test_a_500_is_retried(fake_api, make_connection):
    connection = make_connection(pull_cost=False, pull_claude_code=False)
    fake_api.intercept = lambda seen, served: error_reply(500) if len(fake_api.seen) == 2 else None  # page 2, once

    batch = pull(connection)[0]

    assert batch.status == "done" and batch.records_new == 6
    assert len(fake_api.seen) == 3 + 1
    assert fake_api.seen[2].params == fake_api.seen[1].params


def test_a_wrong_key_fails_at_once_and_stops_the_run(fake_api, make_connection):
    connection = make_connection(key="sk-ant-admin01-WRONG-KEY-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-9999")

    batches = pull(connection)

    assert len(fake_api.seen) == 1  # no retry, and cost / claude_code not tried
    assert [(b.source, b.status) for b in batches] == [("anthropic_usage", "failed")]
    assert "HTTP 401" in batches[0].failure
    assert "WRONG-KEY" not in batches[0].failure  # the server echoed the key back; it is redacted
    connection.refresh_from_db()
    assert "HTTP 401" in connection.last_error and "WRONG-KEY" not in connection.last_error
    assert connection.last_success_at is None and connection.running_since is None
    assert UsageAggregate.objects.count() == 0


def test_a_run_that_dies_mid_way_resumes_from_its_cursor(fake_api, make_connection):
    connection = make_connection()
    fake_api.intercept = lambda seen, served: error_reply(404) if served >= 2 else None  # page 3 of 3 fails

    first = pull(connection)

    assert [(b.source, b.status, b.records_new) for b in first] == [("anthropic_usage", "failed", 4)]
    cursor = AdminApiCursor.objects.get(endpoint="usage")
    assert cursor.fetched_through is None and cursor.page_number == 2 and offset_of(cursor.next_page) == 4
    assert "HTTP 404" in first[0].failure
    connection.refresh_from_db()
    assert "usage_report/messages" in connection.last_error and connection.last_success_at is None

    fake_api.intercept = None
    fake_api.seen.clear()
    second = pull(connection)

    usage = fake_api.requests_to("messages")
    assert len(usage) == 1 and offset_of(usage[0].param("page")) == 4  # only page 3: pages 1-2 not fetched again
    assert usage[0].param("starting_at") == "2026-05-05T00:00:00Z"  # with the query the cursor belongs to
    assert [(b.status, b.records_new, b.records_unchanged) for b in second] == [
        ("done", 2, 0), ("done", 6, 0), ("done", 18, 0)]
    assert_clean_totals()  # the same as a clean run: nothing counted twice
    connection.refresh_from_db()
    assert connection.last_error == "" and connection.last_success_at


def test_an_endpoint_that_keeps_failing_fails_alone(fake_api, make_connection):
    connection = make_connection()
    fake_api.intercept = lambda seen, served: (
        error_reply(503) if seen.path.endswith("/messages") and seen.param("page") else None)

    batches = pull(connection)

    assert [(b.source, b.status) for b in batches] == [
        ("anthropic_usage", "failed"), ("anthropic_cost", "done"), ("claude_code_analytics", "done")]
    assert "HTTP 503" in batches[0].failure and "gave up after 4 attempts" in batches[0].failure
    assert len(fake_api.requests_to("messages")) == 1 + 4
    assert batches[0].records_new == 2  # page 1 stays committed
    connection.refresh_from_db()
    assert connection.last_error.startswith("usage_report/messages: ")


def test_a_refused_saved_cursor_fetches_its_range_again(fake_api, make_connection):
    connection = make_connection(pull_cost=False, pull_claude_code=False)
    fake_api.intercept = lambda seen, served: error_reply(404) if served >= 2 else None
    pull(connection)
    fake_api.intercept = None
    AdminApiCursor.objects.filter(endpoint="usage").update(next_page="page_expired")

    batch = pull(connection)[0]

    assert batch.status == "done" and (batch.records_new, batch.records_unchanged) == (2, 4)
    assert AdminApiCursor.objects.get(endpoint="usage").fetched_through == TODAY
    assert UsageAggregate.objects.aggregate(s=Sum("output_tokens"))["s"] == 6 * 500


def test_a_changed_start_date_starts_the_backfill_again(fake_api, make_connection, samples):
    from costdash.connectors.services import connection_save
    from tests.connectors.conftest import fill

    connection = make_connection(pull_cost=False, pull_claude_code=False)
    pull(connection)
    earlier = START - timedelta(days=2)
    fill(fake_api, samples, [earlier, earlier + timedelta(days=1)])
    connection.start_date = earlier
    connection_save(connection, changed=["start_date"])

    batch = pull(connection)[0]

    assert (batch.records_new, batch.records_unchanged) == (2, 6)
    assert UsageAggregate.objects.count() == 8


def test_a_run_never_starts_while_another_holds_the_connection(fake_api, make_connection):
    from costdash.connectors.services import connection_claim

    connection = make_connection()
    assert connection_claim(connection.pk) is not None

    assert pull(connection) is None
    assert fake_api.seen == [] and ImportBatch.objects.count() == 0


def test_pages_name_their_day_for_claude_code(fake_api, make_connection):
    fake_api.data["claude_code"][DAYS[0]][0]["core_metrics"]["num_sessions"] = "many"
    connection = make_connection(pull_usage=False, pull_cost=False)

    batch = pull(connection)[0]

    assert batch.status == "done" and batch.rejected == 1
    assert batch.errors[0]["file"] == "usage_report/claude_code 2026-05-05 page 1"
    assert batch.records_new == 5 * 3


def test_today_is_the_utc_date_by_default(fake_api, make_connection):
    today = timezone.now().date()  # settings.TIME_ZONE is UTC
    connection = make_connection(pull_usage=False, pull_cost=False, start_date=today)

    batches = admin_api_pull(connection.pk, retry=FAST)

    assert batches[0].status == "done"
    assert [s.param("starting_at") for s in fake_api.requests_to("claude_code")] == [today.isoformat()]
