"""Sessions are rolled up per day with their requests counted once, cost, tokens and time span.

Sonnet 4.6 per MTok: input $3, output $15, cache read $0.30.
"""
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from costdash.accounts.models import OrgSettings
from costdash.ingest.models import UsageEvent
from costdash.ingest.services import usage_import
from costdash.rollups.models import SessionDay
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.ingest.transcripts import assistant_line, write_jsonl

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def utc_org(db):
    org = OrgSettings.get()
    org.time_zone = "UTC"
    org.save()


def test_a_session_over_two_days_has_a_row_per_day_and_requests_without_a_session_have_none(tmp_path):
    lines = [
        # 1,000 output + 100,000 cache read = 0.015 + 0.03 (under 200K input: no long-context rates)
        assistant_line(msg="m1", req="r1", session="s-a", ts="2026-03-02T23:50:00Z", input_tokens=0, output=1000,
                       read=100_000),
        assistant_line(msg="m2", req="r2", session="s-a", ts="2026-03-02T23:55:00Z", input_tokens=100_000,
                       output=0, read=0),  # $0.30
        assistant_line(msg="m3", req="r3", session="s-a", ts="2026-03-03T00:05:00Z", input_tokens=0, output=2000,
                       read=0),  # $0.03
        assistant_line(msg="m4", req="r4", session="", ts="2026-03-03T01:00:00Z"),
    ]
    usage_import([write_jsonl(tmp_path / "a.jsonl", lines)], developer_email="ana@example.com")
    daily_cost_recompute_dirty()
    rows = {(r.day.day, r.session_id): r for r in SessionDay.objects.all()}
    assert set(rows) == {(2, "s-a"), (3, "s-a")}
    first, second = rows[(2, "s-a")], rows[(3, "s-a")]
    assert (first.requests, first.cost, first.cache_read_tokens) == (2, D("0.345"), 100_000)
    assert (first.first_at, first.last_at) == (datetime(2026, 3, 2, 23, 50, tzinfo=UTC),
                                                datetime(2026, 3, 2, 23, 55, tzinfo=UTC))
    assert (second.requests, second.cost) == (1, D("0.03"))


def test_a_request_seen_by_two_sources_counts_once_in_its_session(tmp_path):
    line = assistant_line(msg="m1", req="r1", session="s-b", ts="2026-03-02T10:00:00Z", input_tokens=0, output=1000,
                          read=0)
    usage_import([write_jsonl(tmp_path / "a.jsonl", [line])], developer_email="ana@example.com")
    transcript = UsageEvent.objects.get()
    # The same request from telemetry, with the final output count.
    UsageEvent.objects.create(
        dedupe_key="otel:r1", source="otel", developer=transcript.developer, timestamp=transcript.timestamp,
        session_id="s-b", model="claude-sonnet-4-6", request_id="r1", output_tokens=2000, cost=D("0.03"),
    )
    from costdash.rollups.services import daily_cost_mark_dirty

    daily_cost_mark_dirty([(transcript.developer_id, transcript.timestamp.date())])
    daily_cost_recompute_dirty()
    row = SessionDay.objects.get()
    assert (row.requests, row.output_tokens, row.cost) == (1, 2000, D("0.03"))
