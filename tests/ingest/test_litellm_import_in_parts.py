"""A large SpendLogs CSV is written in flushes as it is read, and (in bulk) parsed in parts by worker
processes: the rows stored are those of one pass over the whole file, a crash part-way loses nothing
committed and counts nothing twice on the re-run.

Every row is the sample row (samples README: 12 input, 48,000 reads, 3,200 5m writes, 850 output on
Sonnet 4.5 = $0.039186) with its own request_id, so N rows cost N × 0.039186.
"""
import csv
from datetime import datetime, timedelta, timezone
from decimal import Decimal
import io
import json

import pytest

from costdash.ingest import import_run, parallel
from costdash.ingest.csv_parts import CsvPart, Misaligned, header_span, record_parts
from costdash.ingest.models import ImportedFile, UsageEvent
from costdash.ingest.services import usage_import
from costdash.rollups.models import DailyCost
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.ingest.test_parser_litellm_spendlogs import csv_bytes, row

pytestmark = pytest.mark.django_db
ROW_COST = Decimal("0.039186")
START = datetime(2026, 11, 2, tzinfo=timezone.utc)


class Crash(Exception):
    pass


def spendlogs(n: int, **per_row) -> bytes:
    """n sample rows, ids msg_0000.., alternating alice and bob, one an hour from START (UTC days)."""
    return csv_bytes([
        row(request_id=f"msg_{i:04d}", user=("alice", "bob")[i % 2] + "@example.com",
            startTime=(START + timedelta(hours=i)).isoformat(), **{k: f(i) for k, f in per_row.items()})
        for i in range(n)
    ])


def test_a_crash_part_way_through_a_file_keeps_what_was_flushed_and_the_rerun_counts_each_row_once(
    tmp_path, monkeypatch
):
    path = tmp_path / "spendlogs.csv"
    path.write_bytes(spendlogs(600))  # ~2.7 MB: read in 1 MB blocks, so the crash comes part-way
    assert path.stat().st_size > 2_100_000
    monkeypatch.setattr(import_run, "FLUSH_REQUESTS", 50)
    read = []

    def crash_after_a_megabyte(n: int) -> None:  # told of each block before it is parsed
        if sum(read) >= 1_000_000:
            raise Crash("the process dies")
        read.append(n)

    with pytest.raises(Crash):
        usage_import([path], progress=crash_after_a_megabyte)
    kept = UsageEvent.objects.count()
    assert 50 <= kept < 600 and kept % 50 == 0  # whole flushes only
    assert not ImportedFile.objects.exists()  # the file is not done: the next run reads it again

    batch = usage_import([path])
    assert batch.status == "done" and batch.rejected == 0
    assert (batch.requests_new, batch.duplicates) == (600 - kept, kept)
    assert UsageEvent.objects.count() == 600 and ImportedFile.objects.count() == 1
    daily_cost_recompute_dirty()
    assert sum(DailyCost.objects.values_list("requests", flat=True)) == 600
    assert sum(DailyCost.objects.values_list("cost", flat=True)) == 600 * ROW_COST  # 23.5116
    # 600 hours from 2 November 00:00 UTC = 25 days, each with 12 requests per person (UTC org)
    assert DailyCost.objects.values("developer", "day").distinct().count() == 50

    assert usage_import([path]).files_unchanged == 1  # now recorded: skipped
    assert UsageEvent.objects.count() == 600


# --- Cutting a CSV into parts -----------------------------------------------------------------------

QUOTED = 'a,"multi\nline, with ""quotes""\n",z\n'  # one record over three lines


def cut(data: bytes, part_bytes: int) -> list[bytes]:
    return [data[o : o + n] for o, n in record_parts(io.BytesIO(data), 0, part_bytes)]


def test_parts_are_cut_only_between_records_even_at_quoted_newlines():
    records = [f'{i},"note {i}\nsecond line ""{i}""\n{"x" * (i % 7)}",end\n' for i in range(200)]
    data = "".join(records).encode()
    for part_bytes in (1, 7, 50, 333, 4096):
        parts = cut(data, part_bytes)
        assert b"".join(parts) == data and len(parts) > 1
        for part in parts:  # each part is whole records
            assert part.decode() in "".join(records) and list(csv.reader(io.StringIO(part.decode())))[-1][-1] == "end"


def test_a_part_read_alone_gives_the_records_of_one_pass_and_knows_it_ended_between_records():
    data = ("h1,h2,h3\n" + QUOTED * 3).encode()
    part = CsvPart(io.BytesIO(data[9:]), ends_part=True)
    assert [cells for _, cells in part] == [["a", 'multi\nline, with "quotes"\n', "z"]] * 3
    assert part.lines == 9
    cut_inside = data[9 : 9 + len(QUOTED) + 5]  # ends inside the second record's quoted field
    with pytest.raises(Misaligned):
        list(CsvPart(io.BytesIO(cut_inside), ends_part=True))


def test_the_header_span_skips_a_bom_and_blank_lines_and_allows_quoted_newlines():
    assert header_span(b'\xef\xbb\xbf\r\n"a\nb",c\nrow') == (5, 13)
    assert header_span(b'"a\nb,c') is None


# --- The import in parts -----------------------------------------------------------------------------


@pytest.fixture
def in_parts(monkeypatch):
    """Worker processes for any size of file, small parts."""
    monkeypatch.setattr(parallel, "MIN_BYTES_FOR_WORKERS", 0)
    monkeypatch.setattr(parallel, "PART_BYTES", 40_000)  # ~9 rows a part
    monkeypatch.setenv("COSTDASH_IMPORT_WORKERS", "2")


STORED = ("dedupe_key", "developer__email", "identity__external_id", "timestamp", "input_tokens", "output_tokens",
          "cache_read_tokens", "cache_write_5m_tokens", "cost", "reported_cost", "session_id", "batch_id")


def stored() -> list[tuple]:
    return sorted(UsageEvent.objects.values_list(*STORED[:-1]))


def test_a_csv_parsed_in_parts_stores_what_one_pass_stores_with_the_same_rejections(tmp_path, monkeypatch):
    """Quoted newlines in the `messages` cell, some long enough to straddle a cut; bad rows throughout."""
    def messages(i: int) -> str:
        return json.dumps({"prompt": "line\n" * (i % 40) + '"quoted"'}, indent=1) if i % 3 else "{}"

    def tokens(i: int):
        return "lots" if i % 50 == 7 else 1000 + i  # a bad row now and then, rejected by line

    data = spendlogs(240, messages=messages, completion_tokens=tokens)
    (tmp_path / "one.csv").write_bytes(data)
    one = usage_import([tmp_path / "one.csv"])
    one_pass = stored()
    assert one.rejected == 5 and one.requests_new == 235 and one.lines == 240
    UsageEvent.objects.all().delete()
    ImportedFile.objects.all().delete()  # the same bytes: else skipped as already imported

    monkeypatch.setattr(parallel, "MIN_BYTES_FOR_WORKERS", 0)
    monkeypatch.setattr(parallel, "PART_BYTES", 40_000)
    monkeypatch.setenv("COSTDASH_IMPORT_WORKERS", "2")
    monkeypatch.setattr(import_run, "FLUSH_REQUESTS", 40)
    (tmp_path / "parts.csv").write_bytes(data)
    parts = usage_import([tmp_path / "parts.csv"])
    assert len(cut(data, 40_000)) > 20
    assert stored() == one_pass
    assert parts.errors == [{**e, "file": str(tmp_path / "parts.csv")} for e in one.errors]
    line_of = {i: data[: data.index(b"msg_%04d," % i)].count(b"\n") + 1 for i in (7, 57)}
    assert [e["line"] for e in parts.errors][:2] == [line_of[7], line_of[57]] and line_of[57] > 100  # quoted newlines count
    for name in ("lines", "usage_lines", "requests_new", "duplicates", "rejected", "files_read", "processed_bytes"):
        assert getattr(parts, name) == getattr(one, name), name


def test_a_csv_that_is_not_rfc_4180_falls_back_to_one_pass_from_the_bad_part(tmp_path, in_parts, monkeypatch):
    """A stray quote inside an unquoted cell (the csv reader takes it literally) flips the quote count, so
    cuts land inside later quoted fields: the part's sentinel notices and the rest is read in one pass."""
    def messages(i: int) -> str:
        return "a\nb" if i > 30 else "{}"

    data = spendlogs(120, session_id=lambda i: f"sess-{i}Q", messages=messages).replace(b"sess-30Q", b'sess-30"')
    misaligned = 0
    for offset, size in record_parts(io.BytesIO(data), header_span(data)[1], 40_000):
        try:
            list(CsvPart(io.BytesIO(data[offset : offset + size]), ends_part=offset + size < len(data)))
        except Misaligned:
            misaligned += 1
    assert misaligned  # the count was fooled at least once
    (tmp_path / "parts.csv").write_bytes(data)
    parts = usage_import([tmp_path / "parts.csv"])
    in_parts_rows = stored()
    UsageEvent.objects.all().delete()
    ImportedFile.objects.all().delete()  # the same bytes: else skipped as already imported
    monkeypatch.setenv("COSTDASH_IMPORT_WORKERS", "0")  # the same file in one pass
    (tmp_path / "one.csv").write_bytes(data)
    one = usage_import([tmp_path / "one.csv"])
    assert stored() == in_parts_rows and parts.requests_new == one.requests_new == 120
    assert parts.rejected == one.rejected == 0 and parts.lines == one.lines == 120
    assert UsageEvent.objects.get(dedupe_key="litellm:msg_0030").session_id == 'sess-30"'


def test_a_crash_part_way_through_a_file_read_in_parts_counts_each_row_once(tmp_path, in_parts, monkeypatch):
    path = tmp_path / "spendlogs.csv"
    path.write_bytes(spendlogs(300))
    monkeypatch.setattr(import_run, "FLUSH_REQUESTS", 30)
    read = []

    def crash_after_300_kb(n: int) -> None:
        if sum(read) >= 300_000:
            raise Crash("the process dies")
        read.append(n)

    with pytest.raises(Crash):
        usage_import([path], progress=crash_after_300_kb)
    kept = UsageEvent.objects.count()
    assert 30 <= kept < 300 and not ImportedFile.objects.exists()
    batch = usage_import([path])
    assert (batch.requests_new, batch.duplicates, batch.rejected) == (300 - kept, kept, 0)
    daily_cost_recompute_dirty()
    assert sum(DailyCost.objects.values_list("requests", flat=True)) == 300
    assert sum(DailyCost.objects.values_list("cost", flat=True)) == 300 * ROW_COST  # 11.7558
