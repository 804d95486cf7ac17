"""A grown transcript is read from where the last import stopped; an unchanged one is not read; a
rewritten, truncated or replaced one is read whole; the figures are those of a whole read."""
from decimal import Decimal
import json
import os

import pytest

from costdash.ingest import parallel
from costdash.ingest.models import ImportedFile, TranscriptCursor, UsageEvent
from costdash.ingest.services import usage_import
from costdash.rollups.models import DailyCost
from costdash.rollups.services import daily_cost_recompute_dirty

from .transcripts import assistant_line, write_jsonl

pytestmark = pytest.mark.django_db
ANA = "ana@example.com"
USER_LINE = {"type": "user", "sessionId": "s-1", "timestamp": "2026-03-02T10:00:00.000Z",
             "message": {"role": "user", "content": "hi"}}
FIRST = [assistant_line(msg="msg_a", output=10), assistant_line(msg="msg_a", output=50),
         assistant_line(msg="msg_b", req="req_b", output=20), USER_LINE]
# msg_b's final copy comes after the first import stopped: the larger copy must win
GROWTH = [assistant_line(msg="msg_b", req="req_b", output=200), assistant_line(msg="msg_c", req="req_c", output=30),
          assistant_line(msg="msg_d", req="req_d", output=40)]
# Sonnet 4.6, each request 4 input + 1,000 cache read + N output: (4 × $3 + 1,000 × $0.30 + N × $15) / MTok
FINAL_COST = sum(Decimal(312 + 15 * n) for n in (50, 200, 30, 40)) / 10**6  # $0.006048


def append(path, lines) -> None:
    with open(path, "a") as fh:
        for line in lines:
            fh.write((line if isinstance(line, str) else json.dumps(line)) + "\n")


def events() -> dict:
    return {e.dedupe_key: (e.output_tokens, e.cost) for e in UsageEvent.objects.all()}


def test_appended_lines_are_the_only_ones_read_and_figures_equal_a_whole_read(tmp_path):
    path = write_jsonl(tmp_path / "proj" / "s.jsonl", FIRST)
    first = usage_import([tmp_path], developer_email=ANA)
    assert (first.lines, first.files_resumed) == (4, 0)
    append(path, GROWTH)

    grown = usage_import([tmp_path], developer_email=ANA)
    assert (grown.files_read, grown.files_resumed, grown.files_unchanged) == (1, 1, 0)
    assert (grown.lines, grown.usage_lines) == (3, 3)  # only the appended lines
    assert (grown.requests_new, grown.requests_updated) == (2, 1)
    incremental = events()
    assert incremental == {"cc:msg_a": (50, Decimal("0.001062")), "cc:msg_b": (200, Decimal("0.003312")),
                           "cc:msg_c": (30, Decimal("0.000762")), "cc:msg_d": (40, Decimal("0.000912"))}
    daily_cost_recompute_dirty()
    assert sum(d.cost for d in DailyCost.objects.all()) == FINAL_COST

    # The same file read whole, into an empty store, gives the same events to the cent.
    UsageEvent.objects.all().delete()
    ImportedFile.objects.all().delete()
    TranscriptCursor.objects.all().delete()
    whole = usage_import([tmp_path], developer_email=ANA)
    assert (whole.lines, whole.files_resumed) == (7, 0)
    assert events() == incremental
    daily_cost_recompute_dirty()
    assert sum(d.cost for d in DailyCost.objects.all()) == FINAL_COST


def test_an_unchanged_file_is_skipped_and_a_second_import_changes_nothing(tmp_path):
    write_jsonl(tmp_path / "s.jsonl", FIRST)
    usage_import([tmp_path], developer_email=ANA)
    before = events()
    again = usage_import([tmp_path], developer_email=ANA)
    assert (again.files_unchanged, again.files_read, again.lines) == (1, 0, 0)
    assert events() == before


def test_a_file_with_its_inode_size_and_mtime_as_recorded_is_not_opened(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", FIRST)
    usage_import([tmp_path], developer_email=ANA)
    stat = os.stat(path)
    with open(path, "r+b") as fh:  # garbage of the same size, the mtime put back: a read would reject it
        fh.write(b"x" * stat.st_size)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    again = usage_import([tmp_path], developer_email=ANA)
    assert (again.files_unchanged, again.lines, again.rejected) == (1, 0, 0)


def test_a_touched_file_with_nothing_new_reads_no_line(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", FIRST)
    usage_import([tmp_path], developer_email=ANA)
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    again = usage_import([tmp_path], developer_email=ANA)
    # the head+tail fingerprint still matches: skipped as unchanged, as before cursors
    assert (again.files_unchanged, again.lines) == (1, 0)


@pytest.mark.parametrize("change", ["rewritten", "truncated", "replaced"])
def test_a_file_not_simply_grown_is_read_whole(tmp_path, change):
    path = write_jsonl(tmp_path / "s.jsonl", FIRST)
    usage_import([tmp_path], developer_email=ANA)
    if change == "rewritten":  # the first line changed in place, then the file grew
        changed = [assistant_line(msg="msg_a", output=70), *FIRST[1:], *GROWTH]
        with open(path, "r+") as fh:
            fh.write("\n".join(json.dumps(line) for line in changed) + "\n")
        expected_lines = 7
    elif change == "truncated":  # cut after its first two lines
        with open(path, "r+") as fh:
            fh.truncate(len(fh.readline()) + len(fh.readline()))
        expected_lines = 2
    else:  # another file at the same path: same first lines, then more
        write_jsonl(tmp_path / "new.tmp", [*FIRST, *GROWTH])  # written beside it: another inode
        os.replace(tmp_path / "new.tmp", path)
        expected_lines = 7
    batch = usage_import([tmp_path], developer_email=ANA)
    assert (batch.files_read, batch.files_resumed, batch.lines) == (1, 0, expected_lines)
    if change == "rewritten":
        assert UsageEvent.objects.get(dedupe_key="cc:msg_a").output_tokens == 70


@pytest.mark.parametrize("cursor_lost", [False, True])
def test_a_last_line_being_written_is_read_again_once_complete(tmp_path, cursor_lost):
    path = write_jsonl(tmp_path / "s.jsonl", FIRST)
    line = json.dumps(assistant_line(msg="msg_e", req="req_e", output=60))
    with open(path, "a") as fh:
        fh.write(line[:40])  # Claude Code is still writing it
    cut = usage_import([tmp_path], developer_email=ANA)
    assert (cut.lines, cut.rejected) == (5, 1)
    assert cut.errors == [{"file": str(path), "line": 5, "reason": "malformed JSON (truncated or not an object)"}]
    cursor = TranscriptCursor.objects.values_list("offset", "lines", "prefix_hash").get()
    assert cursor[:2] == (os.path.getsize(path) - 40, 4)  # the end of the last complete line
    if cursor_lost:  # skipped by its fingerprint, its cursor written again as the read left it, not past the line
        TranscriptCursor.objects.all().delete()
        assert usage_import([tmp_path], developer_email=ANA).lines == 0
        assert TranscriptCursor.objects.values_list("offset", "lines", "prefix_hash").get() == cursor
    with open(path, "a") as fh:
        fh.write(line[40:] + "\n")
    done = usage_import([tmp_path], developer_email=ANA)
    assert (done.files_resumed, done.lines, done.rejected, done.requests_new) == (1, 1, 0, 1)
    assert UsageEvent.objects.get(dedupe_key="cc:msg_e").output_tokens == 60


def test_bad_lines_read_from_the_middle_are_named_by_their_line_in_the_file(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", FIRST)
    usage_import([tmp_path], developer_email=ANA)
    append(path, [GROWTH[0], "not json", GROWTH[1]])
    batch = usage_import([tmp_path], developer_email=ANA)
    assert batch.errors == [{"file": str(path), "line": 6, "reason": "malformed JSON (truncated or not an object)"}]
    cursor = TranscriptCursor.objects.get()
    assert (cursor.lines, cursor.offset) == (7, os.path.getsize(path))


def test_grown_files_are_resumed_in_the_parse_workers_too(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_BYTES_FOR_WORKERS", 0)
    monkeypatch.setenv("COSTDASH_IMPORT_WORKERS", "2")
    paths = [write_jsonl(tmp_path / f"s{i}.jsonl", [dict(line, sessionId=f"s{i}") for line in FIRST])
             for i in range(2)]
    usage_import([tmp_path], developer_email=ANA)
    append(paths[1], GROWTH)
    batch = usage_import([tmp_path], developer_email=ANA)
    assert (batch.files_unchanged, batch.files_resumed, batch.lines) == (1, 1, 3)
    assert sum(e.cost for e in UsageEvent.objects.all()) == FINAL_COST
