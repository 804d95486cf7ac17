"""Usage events partitioned by month on PostgreSQL (ingest.partitions) and raw-event retention (ingest.retention)."""
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.core.management import call_command
from django.db import connection, transaction
import pytest

from costdash.accounts.models import Developer
from costdash.ingest import partitions, retention
from costdash.ingest.models import RawEventRetention, UsageEvent
from costdash.ingest.parsers.base import ParsedRequest
from costdash.ingest.rows import RowBuilder
from costdash.ingest.services import usage_import
from costdash.ingest.summary import batch_summary_lines
from costdash.ingest.upsert import upsert_events
from costdash.lib.dates import month_after
from costdash.pricing.services import rate_table
from costdash.reports.selectors import monthly_report_live
from costdash.rollups.models import DailyCost, DeveloperDay, DirtyDay, OrgDailyCost
from costdash.rollups.services import daily_cost_mark_all_dirty, daily_cost_recompute, daily_cost_recompute_dirty
from tests.factories import UserFactory
from tests.ingest.transcripts import assistant_line, write_jsonl

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's"),
]
ANA = "ana@example.com"


@pytest.fixture(autouse=True)
def _fresh_horizon():
    retention.removed_before_invalidate()
    yield
    retention.removed_before_invalidate()


def months_ago(n: int) -> date:
    """The first day of the UTC month ``n`` months before the current one (negative: after)."""
    month = datetime.now(UTC).date().replace(day=1)
    for _ in range(abs(n)):
        month = (month - timedelta(days=1)).replace(day=1) if n > 0 else month_after(month)
    return month


def at(month: date, day: int = 10, hour: int = 12, second: int = 0) -> str:
    return f"{month:%Y-%m}-{day:02d}T{hour:02d}:00:{second:02d}.000Z"


def partition_of(key: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM ingest_usageevent WHERE dedupe_key = %s", [key])
        return [row[0] for row in cursor.fetchall()][0]


def rollups() -> list:
    return [
        list(DailyCost.objects.order_by("developer_id", "day", "model", "source").values_list(
            "developer_id", "day", "model", "source", "input_tokens", "output_tokens", "cache_read_tokens",
            "requests", "sessions", "cost")),
        list(DeveloperDay.objects.order_by("developer_id", "day").values_list("developer_id", "day", "cost")),
        list(OrgDailyCost.objects.order_by("day", "model", "source").values_list(
            "day", "model", "source", "output_tokens", "requests", "cost")),
    ]


def import_lines(path, lines, **kwargs):
    return usage_import([write_jsonl(path, lines)], developer_email=ANA, **kwargs)


def test_the_migration_made_a_partitioned_table_keyed_by_request_and_time():
    assert partitions.partitioned()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'ingest_usageevent'::regclass AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)"
        )
        assert [row[0] for row in cursor.fetchall()] == ["dedupe_key", "timestamp"]
        cursor.execute("SELECT to_regclass('ingest_usageevent_default') IS NOT NULL")
        assert cursor.fetchone()[0]
    months = [p.month for p in partitions.partitions_list()]
    assert months_ago(0) in months and months_ago(-1) in months  # the current month and the next exist


def test_the_command_creates_months_ahead_once_and_reports_them(capsys):
    call_command("usage_partitions", "--ahead", "7")
    out = capsys.readouterr().out
    assert partitions.partition_name(months_ago(-7)) in out and "retention: off" in out
    call_command("usage_partitions", "--ahead", "7")
    assert "partitions: 0 created" in capsys.readouterr().out
    months = [p.month for p in partitions.partitions_list()]
    assert all(months_ago(-n) in months for n in range(8))
    call_command("usage_partitions", "--ahead", "9", "--dry-run")
    assert months_ago(-9) not in [p.month for p in partitions.partitions_list()]


def write_one(key: str, ts: datetime, output: int = 10, *, copy_text: bool = True, new: bool = False) -> dict:
    """Write one request straight through upsert_events (COPY text rows as imports, tuples as a live body;
    ``new``: as an import that expects new requests, copied straight into the table first)."""
    developer = Developer.objects.get_or_create(email=ANA, defaults={"name": "Ana"})[0]
    builder = RowBuilder(batch_id=None, table=rate_table(), tz_name="UTC", copy_text=copy_text,
                         source="claude_code_jsonl", developer_id=developer.pk)
    request = ParsedRequest(dedupe_key=key, timestamp=ts, raw_model="claude-sonnet-4-6", output_tokens=output)
    with transaction.atomic():
        return upsert_events([builder.entry(request)[1]], keys=[key] if new else None)


def test_writes_land_in_their_month_or_the_default_partition_and_move_out_of_it(tmp_path):
    now, old, future = months_ago(0), months_ago(36), months_ago(-24)
    batch = import_lines(tmp_path / "a.jsonl", [
        assistant_line(msg="now", req="r1", ts=at(now, day=1)),
        assistant_line(msg="old", req="r2", ts=at(old)),  # three years ago: no partition yet
    ])
    assert batch.status == "done" and batch.requests_new == 2
    # Imports refuse a time more than a day ahead (parsers.checks); the write path itself takes one.
    assert write_one("cc:future", partitions.utc(future) + timedelta(days=3)) == {"cc:future": True}
    assert partition_of("cc:now") == partitions.partition_name(now)
    assert partition_of("cc:old") == partition_of("cc:future") == partitions.DEFAULT
    daily_cost_mark_all_dirty()  # the future row was written past the import, unmarked
    daily_cost_recompute_dirty()
    before = rollups()
    assert len(before[0]) == 3
    created = partitions.partitions_ensure(1)
    assert set(created) >= {partitions.partition_name(old), partitions.partition_name(future)}
    assert partition_of("cc:old") == partitions.partition_name(old)
    assert partition_of("cc:future") == partitions.partition_name(future)
    assert partitions.default_rows() == 0
    assert UsageEvent.objects.count() == 3
    daily_cost_mark_all_dirty()
    daily_cost_recompute_dirty()
    assert rollups() == before


def test_dedupe_keys_stay_exact_across_reimports_streamed_copies_and_month_ends(tmp_path):
    month = months_ago(2)
    last = month_after(month) - timedelta(days=1)
    lines = [
        assistant_line(msg="m1", req="r1", ts=at(month), output=100),
        assistant_line(msg="m2", req="r2", ts=at(month, day=11), output=200),
        # A streamed message across the month's end: its first line at 23:59:59 ...
        assistant_line(msg="m3", req="r3", ts=f"{last:%Y-%m-%d}T23:59:59.000Z", output=5),
    ]
    first = import_lines(tmp_path / "one" / "s.jsonl", lines)
    assert first.requests_new == 3
    partitions.partitions_ensure(0)  # as the beat does: the past months get their partitions
    daily_cost_recompute_dirty()
    figures = rollups()
    # The same data again (another file, same records): the same rows and figures.
    again = import_lines(tmp_path / "two" / "s.jsonl", [*lines, {"type": "user"}])
    assert (again.requests_new, again.requests_updated, again.duplicates) == (0, 0, 3)
    daily_cost_recompute_dirty()
    assert rollups() == figures and UsageEvent.objects.count() == 3
    # ... its last line two seconds later, in the next month's partition, with all its output; and m1's final
    # line three seconds after its first: each replaces its stored copy, which keeps its time and partition.
    grown = import_lines(tmp_path / "three" / "s.jsonl", [
        assistant_line(msg="m3", req="r3", ts=f"{month_after(month):%Y-%m}-01T00:00:01.000Z", output=900),
        assistant_line(msg="m1", req="r1", ts=at(month, second=3), output=150),
    ])
    assert (grown.requests_new, grown.requests_updated) == (0, 2)
    assert UsageEvent.objects.count() == 3
    m3 = UsageEvent.objects.get(dedupe_key="cc:m3")
    assert m3.output_tokens == 900 and m3.timestamp.day == last.day
    assert partition_of("cc:m3") == partitions.partition_name(month)
    assert UsageEvent.objects.get(dedupe_key="cc:m1").output_tokens == 150


@pytest.mark.parametrize(("copy_text", "new"), [(True, False), (True, True), (False, False)],
                         ids=["COPY", "COPY straight", "VALUES"])
def test_every_write_path_gives_a_copy_the_stored_time(copy_text, new):
    """Imports write through COPY (straight into the table while they expect new requests), a live body through
    INSERT … VALUES: a copy within DEDUPE_WINDOW meets the stored row; one further away is a request of its own
    (as a record with a new key would be)."""
    t0 = partitions.utc(months_ago(1)) + timedelta(days=3)

    def write(ts, output):
        return write_one("k1", ts, output, copy_text=copy_text, new=new)

    assert write(t0, 10) == {"k1": True}
    assert write(t0, 10) == {}  # the same record again: a duplicate
    assert write(t0 + timedelta(hours=5), 20) == {"k1": False}  # a larger copy within the window: replaces it
    assert list(UsageEvent.objects.values_list("timestamp", "output_tokens")) == [(t0, 20)]
    assert write(t0 + timedelta(days=3), 30) == {"k1": True}  # a key reused days apart: a row of its own
    assert UsageEvent.objects.filter(dedupe_key="k1").count() == 2


@pytest.mark.parametrize("key", ['k "quoted", {braced}', "back\\slash NULL", "é ü 中", "NULL"])
def test_the_straight_copy_finds_a_stored_copy_whatever_its_key_holds(key):
    """The probe after a straight copy sends the flush's keys and times as binary arrays: a key with quotes,
    commas, braces, a backslash, non-ASCII text or the word NULL is matched exactly, so a copy within the
    window still replaces the stored row rather than landing beside it."""
    t0 = partitions.utc(months_ago(1)) + timedelta(days=3)
    assert write_one(key, t0, 10, new=True) == {key: True}
    assert write_one(key, t0 + timedelta(hours=5), 20, new=True) == {key: False}
    assert list(UsageEvent.objects.filter(dedupe_key=key).values_list("timestamp", "output_tokens")) == [(t0, 20)]


@pytest.fixture
def old_and_recent(tmp_path, settings):
    """Ana's requests 14 months ago (two days) and last month, imported and rolled up."""
    old, recent = months_ago(14), months_ago(1)
    lines = [
        assistant_line(msg="o1", req="r1", ts=at(old), output=100),
        assistant_line(msg="o2", req="r2", ts=at(old, day=11), output=300, model="claude-opus-4-6"),
        assistant_line(msg="n1", req="r3", ts=at(recent), output=50),
    ]
    import_lines(tmp_path / "first" / "s.jsonl", lines)
    partitions.partitions_ensure(0)  # as the beat does: the past months get their partitions
    daily_cost_recompute_dirty()
    return old, recent, lines


def test_retention_drops_old_months_and_keeps_every_figure(old_and_recent, settings, capsys):
    old, recent, _ = old_and_recent
    figures, report = rollups(), monthly_report_live(old)
    assert report.totals["spend"] > 0 and all(figures)  # per developer-day and org-wide rollups
    settings.COSTDASH_RAW_EVENT_RETENTION_MONTHS = 12
    call_command("usage_partitions", "--dry-run")
    out = capsys.readouterr().out
    assert f"would drop {partitions.partition_name(old)}" in out
    assert UsageEvent.objects.count() == 3 and not RawEventRetention.objects.exists()

    call_command("usage_partitions")
    assert f"dropped {partitions.partition_name(old)}" in capsys.readouterr().out
    assert partitions.partition_name(old) not in [p.name for p in partitions.partitions_list()]
    assert sorted(UsageEvent.objects.values_list("dedupe_key", flat=True)) == ["cc:n1"]
    assert RawEventRetention.objects.get().removed_before == partitions.utc(months_ago(12))
    assert rollups() == figures
    after = monthly_report_live(old)
    assert after == report and after.totals["spend"] == report.totals["spend"]  # to the cent, and everything else
    assert monthly_report_live(recent) == monthly_report_live(recent)


def test_a_reimport_after_retention_stores_nothing_old_and_marks_no_day(old_and_recent, settings, tmp_path, client):
    old, _, lines = old_and_recent
    settings.COSTDASH_RAW_EVENT_RETENTION_MONTHS = 12
    retention.retention_apply()
    figures = rollups()
    batch = import_lines(tmp_path / "again" / "s.jsonl", [*lines, {"type": "user"}])
    assert (batch.skipped_retention, batch.requests_new, batch.duplicates) == (2, 0, 1)
    assert any("2 older than raw-event retention" in line for line in batch_summary_lines(batch))
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    client.force_login(admin)
    page = client.get(f"/imports/{batch.pk}/")
    assert page.status_code == 200 and "2 requests older than raw-event retention" in page.content.decode()
    assert not UsageEvent.objects.filter(timestamp__lt=partitions.utc(months_ago(12))).exists()
    assert not DirtyDay.objects.exists()
    # Retention turned off later: what was removed stays removed, and is still not imported.
    settings.COSTDASH_RAW_EVENT_RETENTION_MONTHS = 0
    retention.removed_before_invalidate()
    batch = import_lines(tmp_path / "third" / "s.jsonl", [*lines, {"type": "user"}, {"type": "user"}])
    assert batch.skipped_retention == 2 and not DirtyDay.objects.exists()
    daily_cost_recompute_dirty()
    assert rollups() == figures


def test_no_recompute_rebuilds_a_day_before_the_horizon(old_and_recent, settings):
    old, _, _ = old_and_recent
    settings.COSTDASH_RAW_EVENT_RETENTION_MONTHS = 12
    retention.retention_apply()
    figures = rollups()
    developer = Developer.objects.get(email=ANA)
    old_day = old.replace(day=10)
    assert daily_cost_mark_all_dirty() >= 1  # the recent day
    assert not DirtyDay.objects.filter(day__lt=months_ago(12)).exists()
    DirtyDay.objects.create(developer=developer, day=old_day, marked_at=datetime.now(UTC))  # as if left over
    daily_cost_recompute_dirty()
    assert not DirtyDay.objects.exists()
    assert daily_cost_recompute(developer.pk, {old_day}) == 0
    assert rollups() == figures
    assert DailyCost.objects.filter(day=old_day).get().cost > Decimal(0)


def test_retention_waits_while_a_day_before_the_horizon_is_dirty(old_and_recent, settings):
    old, _, _ = old_and_recent
    developer = Developer.objects.get(email=ANA)
    later = datetime.now(UTC) + timedelta(hours=1)  # a failing day, not yet due for its retry
    DirtyDay.objects.create(developer=developer, day=old.replace(day=10), marked_at=datetime.now(UTC), retry_at=later)
    settings.COSTDASH_RAW_EVENT_RETENTION_MONTHS = 12
    report = retention.retention_apply()
    assert report.waiting == 1 and UsageEvent.objects.count() == 3
    assert partitions.partition_name(old) in [p.name for p in partitions.partitions_list()]
    assert any("wait for their rollup recompute" in line for line in report.lines())
    DirtyDay.objects.update(retry_at=None)
    report = retention.retention_apply()
    assert report.recomputed == 1 and report.waiting == 0 and UsageEvent.objects.count() == 1


def test_a_live_receiver_refuses_requests_older_than_the_retention(old_and_recent, settings):
    from costdash.ingest.live import ingest_token_create, live_records_write
    from costdash.ingest.models import IngestToken

    old, recent, _ = old_and_recent
    settings.COSTDASH_RAW_EVENT_RETENTION_MONTHS = 12
    retention.retention_apply()
    figures = rollups()
    token = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[0]
    items = [ParsedRequest(dedupe_key=f"otel:{name}", timestamp=partitions.utc(month) + timedelta(days=12),
                           raw_model="claude-sonnet-4-6", output_tokens=70, email=ANA, identity=ANA)
             for name, month in (("old", old), ("recent", recent))]
    result = live_records_write(token, "otel", items)
    assert result.new == 1 and [r.reason for r in result.rejected] == [retention.REASON]
    assert not UsageEvent.objects.filter(dedupe_key="otel:old").exists()
    daily_cost_recompute_dirty()
    assert [row for row in rollups()[0] if row[1] < months_ago(12)] == [
        row for row in figures[0] if row[1] < months_ago(12)]
