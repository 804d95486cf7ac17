"""An import's rows go straight into the events table with COPY while they are new requests (the
first import of an export, or the part of a re-export past what was imported before), and through
the staging table's upsert once some are stored: both give the same events, counts and conflicts.
Large CSV files are cut at plain newlines for the parse workers, and again by counting quotes from
a cut that fell inside a quoted field.
"""
from datetime import datetime, timezone
from decimal import Decimal
import io
import time

from django.db import connection, transaction
import psycopg
import pytest

from costdash.ingest import import_run, parallel, upsert
from costdash.ingest.csv_parts import CsvPart, line_parts
from costdash.ingest.models import ImportedFile, RequestConflict, UsageEvent
from costdash.ingest.rows import COLUMNS, copy_line
from costdash.ingest.services import usage_import
from costdash.rollups.models import DailyCost
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.ingest.test_litellm_import_in_parts import ROW_COST, spendlogs, stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def straight_copies(monkeypatch):
    """What each straight copy came to (True: every row inserted), in order, the copy itself untouched."""
    outcomes = []
    real = upsert._copy_new

    def observed(rows, *keys):
        outcomes.append(real(rows, *keys))
        return outcomes[-1]

    monkeypatch.setattr(upsert, "_copy_new", observed)
    return outcomes


def test_a_first_import_copies_its_new_rows_straight_into_the_table(tmp_path, monkeypatch, straight_copies):
    monkeypatch.setattr(import_run, "FLUSH_REQUESTS", 40)
    (tmp_path / "spendlogs.csv").write_bytes(spendlogs(120))
    batch = usage_import([tmp_path / "spendlogs.csv"])
    assert straight_copies == [True, True, True]
    assert (batch.requests_new, batch.requests_updated, batch.duplicates, batch.conflicts) == (120, 0, 0, 0)
    assert UsageEvent.objects.count() == 120
    assert set(UsageEvent.objects.values_list("cost", "reported_cost").distinct()) == {(ROW_COST, ROW_COST)}
    daily_cost_recompute_dirty()
    assert sum(DailyCost.objects.values_list("cost", flat=True)) == 120 * ROW_COST


def test_a_re_export_overlapping_the_last_import_upserts_the_stored_part_and_copies_the_rest(
    tmp_path, monkeypatch, straight_copies
):
    monkeypatch.setattr(import_run, "FLUSH_REQUESTS", 20)
    (tmp_path / "first.csv").write_bytes(spendlogs(80))
    assert usage_import([tmp_path / "first.csv"]).requests_new == 80
    straight_copies.clear()

    # Rows 40..159: 40..59 grown (more output: replace), 60..79 as before but 70 now named for
    # someone else (a conflict: kept as stored), 80..159 new.
    def grown(i):
        return 2000 if 40 <= i < 60 else 850

    header, *records = spendlogs(160, completion_tokens=grown).splitlines(keepends=True)
    assert b"msg_0070," in records[70] and b"alice@example.com" in records[70]
    records[70] = records[70].replace(b"alice@example.com", b"carol@example.com")
    (tmp_path / "second.csv").write_bytes(header + b"".join(records[40:]))
    batch = usage_import([tmp_path / "second.csv"])
    # Flushes of 20: 40..59 tries the straight copy, meets stored keys and upserts; 60..79 and 80..99
    # upsert; 80..99 were all new, so 100..119, 120..139 and 140..159 are copied straight in.
    assert straight_copies == [False, True, True, True]
    assert (batch.requests_new, batch.requests_updated, batch.duplicates, batch.conflicts) == (80, 20, 19, 1)
    assert UsageEvent.objects.count() == 160
    outputs = dict(UsageEvent.objects.values_list("dedupe_key", "output_tokens"))
    assert {outputs[f"litellm:msg_{i:04d}"] for i in range(40, 60)} == {2000}
    assert {outputs[f"litellm:msg_{i:04d}"] for i in (*range(0, 40), *range(60, 160))} == {850}
    assert UsageEvent.objects.get(pk="litellm:msg_0070").identity.external_id == "alice@example.com"
    assert RequestConflict.objects.filter(example_key="litellm:msg_0070").count() == 1

    # The same events as one import of the second file into an empty table, where every flush
    # copies straight in (its rows 40..59 then have their grown output from the start).
    grown_events = stored()
    UsageEvent.objects.all().delete()
    ImportedFile.objects.all().delete()
    straight_copies.clear()
    (tmp_path / "both.csv").write_bytes(header + b"".join(records[:40]) + b"".join(records[40:]))
    both = usage_import([tmp_path / "both.csv"])
    assert straight_copies == [True] * 8 and both.requests_new == 160
    assert [r for r in stored() if r[0] != "litellm:msg_0070"] == [r for r in grown_events if r[0] != "litellm:msg_0070"]


def test_the_straight_copy_gives_way_to_a_transaction_writing_the_same_key():
    """Another transaction has inserted a key and not committed: the copy does not wait for it (nor
    deadlock with it), it keeps nothing and says so, for the rows to go through the upsert."""
    at = datetime(2026, 11, 2, tzinfo=timezone.utc)
    values = {"source": "litellm_spendlogs", "timestamp": at, "model": "claude-sonnet-4-5",
              "raw_model": "claude-sonnet-4-5", "output_tokens": 10, "cost": Decimal("0.1")}
    defaults = {"batch_id": None, "developer_id": None, "identity_id": None, "reported_cost": None,
                "dimensions": None, "is_batch": False}

    def line(key: str) -> bytes:
        return copy_line(tuple(values.get(c, defaults.get(c, 0 if c.endswith(("tokens", "requests")) else ""))
                               if c != "dedupe_key" else key for c in COLUMNS))

    settings = connection.settings_dict
    other = psycopg.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"],
                            port=settings["PORT"] or 5432, password=settings["PASSWORD"] or None)
    try:
        cols = ", ".join(f'"{c}"' for c in COLUMNS)
        with other.cursor().copy(f"COPY ingest_usageevent ({cols}) FROM STDIN") as copy:
            copy.write(line("litellm:held"))  # not committed
        with transaction.atomic():
            started = time.monotonic()
            assert upsert._copy_new([line("litellm:free"), line("litellm:held")]) is False
            assert time.monotonic() - started < 5
            assert not UsageEvent.objects.filter(pk__in=["litellm:free", "litellm:held"]).exists()
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('lock_timeout')")
                before = cursor.fetchone()[0]
            assert upsert._copy_new([line("litellm:free")]) is True
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('lock_timeout')")
                assert cursor.fetchone()[0] == before  # the copy's own timeout is not left behind
            assert UsageEvent.objects.filter(pk="litellm:free").exists()
    finally:
        other.rollback()
        other.close()


# --- Cutting at newlines -----------------------------------------------------------------------------


def test_parts_cut_at_newlines_cover_the_file_and_end_after_a_newline(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_bytes(b"".join(b"%d,%s\n" % (i, b"x" * (i % 13)) for i in range(2000)))
    data = path.read_bytes()
    for part_bytes in (1, 10, 333, 4096, len(data)):
        with path.open("rb") as stream:
            parts = list(line_parts(stream, 0, part_bytes))
        assert b"".join(data[o : o + n] for o, n in parts) == data
        assert all(n >= min(part_bytes, len(data)) for _, n in parts[:-1])
        assert all(data[o + n - 1 : o + n] == b"\n" for o, n in parts)
        assert [o for o, _ in parts] == sorted({o for o, _ in parts})


def test_cuts_at_newlines_inside_quoted_fields_are_cut_again_and_store_what_one_pass_stores(tmp_path, monkeypatch):
    """Rows 0..59 have no newline inside a field (cut at newlines); from row 60 on every `messages`
    cell holds some, and a carriage return, so a cut lands inside one and the rest is cut by quotes."""
    def messages(i: int) -> str:
        return "{}" if i < 60 else "first\rline\n" * (1 + i % 5) + "last"

    data = spendlogs(200, messages=messages)
    monkeypatch.setenv("COSTDASH_IMPORT_WORKERS", "0")
    (tmp_path / "one.csv").write_bytes(data)
    one = usage_import([tmp_path / "one.csv"])
    one_pass = stored()
    assert one.requests_new == 200 and one.rejected == 0
    UsageEvent.objects.all().delete()
    ImportedFile.objects.all().delete()

    monkeypatch.setattr(parallel, "MIN_BYTES_FOR_WORKERS", 0)
    monkeypatch.setattr(parallel, "PART_BYTES", 40_000)
    monkeypatch.setenv("COSTDASH_IMPORT_WORKERS", "2")
    (tmp_path / "parts.csv").write_bytes(data)
    with (tmp_path / "parts.csv").open("rb") as stream:
        cuts = list(line_parts(stream, data.index(b"\n") + 1, 40_000))
    misaligned = 0
    for offset, size in cuts[:-1]:
        try:
            list(CsvPart(io.BytesIO(data[offset : offset + size]), ends_part=True))
        except Exception:  # noqa: BLE001 - Misaligned, or a part that starts inside a field
            misaligned += 1
    assert misaligned and len(cuts) > 10
    parts = usage_import([tmp_path / "parts.csv"])
    assert stored() == one_pass
    for name in ("lines", "usage_lines", "requests_new", "duplicates", "rejected", "processed_bytes"):
        assert getattr(parts, name) == getattr(one, name), name
