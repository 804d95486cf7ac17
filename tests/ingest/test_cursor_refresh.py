"""A transcript the import skips only by its fingerprint (its cursor gone, as for a tree imported before cursors
existed, or its stat changed: touched, copied without its times, grown then cut back) gets the cursor a completed
read would have left, so the next import skips it by its stat and the fast re-import (ingest.fast_reimport) can
take the tree. Never for content not imported for this developer before the run; a grown file is still read,
its new lines counted once."""
import os
import shutil

import pytest

from costdash.ingest import import_run
from costdash.ingest.files import plain_fingerprint
from costdash.ingest.models import ImportBatch, ImportedFile, TranscriptCursor, UsageEvent
from costdash.ingest.services import usage_import
from costdash.rollups.models import DailyCost
from costdash.rollups.services import daily_cost_recompute_dirty

from .test_fast_reimport import fast, full, tree
from .test_transcript_resume import FINAL_COST, FIRST, GROWTH, USER_LINE, append
from .transcripts import write_jsonl

pytestmark = pytest.mark.django_db
ANA, BOB = "ana@example.com", "bob@example.com"
FIGURES = ("path", "device", "inode", "size", "mtime_ns", "offset", "lines", "prefix_hash")


def cursors(**where) -> dict:
    """{(developer's email, path): (stat, offset, lines, prefix hash, batch)} of every cursor."""
    rows = TranscriptCursor.objects.filter(**where).select_related("developer")
    return {(c.developer.email, c.path): tuple(getattr(c, f) for f in FIGURES[1:]) + (c.batch_id,) for c in rows}


def figures(found: dict) -> dict:
    return {key: value[:-1] for key, value in found.items()}  # without the batch that wrote them


def events() -> list:
    return sorted(UsageEvent.objects.values_list("dedupe_key", "output_tokens", "cost", "developer_id"))


@pytest.mark.django_db(transaction=True)
def test_a_tree_imported_before_cursors_gets_them_once_then_takes_the_fast_path(tmp_path):
    root = tree(tmp_path / "t")
    full(root, "--developer", ANA, "--no-progress")
    by_reads, before = figures(cursors()), events()
    assert len(by_reads) == 3
    TranscriptCursor.objects.all().delete()  # an install upgraded from a version without cursors
    assert not fast(root, "--developer", ANA, "--no-progress")[0]  # unchanged only by fingerprint: the command's

    said = full(root, "--developer", ANA, "--no-progress")
    batch = ImportBatch.objects.order_by("-pk").first()
    assert (batch.files_unchanged, batch.files_read, batch.files_ignored) == (3, 0, 1)
    assert (batch.lines, batch.requests_new, batch.requests_updated, batch.duplicates) == (0, 0, 0, 0)
    assert "0 read, 3 unchanged (skipped)" in said
    refreshed = cursors()
    assert figures(refreshed) == by_reads  # the cursors the reads left: stat, offset, lines, prefix hash
    assert {value[-1] for value in refreshed.values()} == {batch.pk}
    assert events() == before

    took, said = fast(root, "--developer", ANA, "--no-progress")
    assert took
    assert "0 read, 3 unchanged (skipped)" in said
    full(root, "--developer", ANA, "--no-progress")  # the command too skips them by stat now: nothing rewritten
    assert cursors() == refreshed and events() == before
    assert fast(root, "--developer", ANA, "--no-progress")[0]


def test_a_touched_file_gets_its_cursor_refreshed_and_nothing_else(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", FIRST)
    usage_import([tmp_path], developer_email=ANA)
    append(path, GROWTH)
    usage_import([tmp_path], developer_email=ANA)  # resumed: its cursor counts from the first read's lines
    before, (key, old) = events(), next(iter(cursors().items()))
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))

    touched = usage_import([tmp_path], developer_email=ANA)
    assert (touched.files_unchanged, touched.files_read, touched.lines, touched.requests_new) == (1, 0, 0, 0)
    assert events() == before
    new = cursors()[key]
    assert new[3] == stat.st_mtime_ns + 10**9  # the stat it was listed with
    assert new[:3] + new[4:7] == old[:3] + old[4:7] == (stat.st_dev, stat.st_ino, stat.st_size, stat.st_size, 7,
                                                        old[6])
    assert new[-1] == touched.pk

    again = usage_import([tmp_path], developer_email=ANA)
    assert (again.files_unchanged, again.lines) == (1, 0)
    assert cursors()[key] == new  # skipped by its stat: not written again


def test_a_copy_without_its_times_and_a_file_cut_back_get_the_cursor_a_read_leaves(tmp_path):
    path = write_jsonl(tmp_path / "a" / "s.jsonl", FIRST)
    usage_import([tmp_path], developer_email=ANA)
    (first,) = figures(cursors()).values()
    shutil.copyfile(path, tmp_path / "b.jsonl")  # another inode, its own mtime
    append(path, GROWTH)
    usage_import([tmp_path], developer_email=ANA)  # the copy is unchanged by fingerprint, the original grew
    with open(path, "r+b") as fh:  # cut back to what was first imported: the same inode, a new mtime
        fh.truncate(first[2])
    before = events()

    batch = usage_import([tmp_path], developer_email=ANA)
    assert (batch.files_unchanged, batch.files_read, batch.lines, batch.requests_new) == (2, 0, 0, 0)
    assert events() == before
    found = figures(cursors())
    for where in (path, tmp_path / "b.jsonl"):
        stat = os.stat(where)
        assert found[(ANA, str(where))] == (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, *first[4:])


def test_a_file_grown_after_its_cursor_was_lost_is_read_and_counted_once(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", FIRST)
    usage_import([tmp_path], developer_email=ANA)
    TranscriptCursor.objects.all().delete()
    append(path, GROWTH)

    grown = usage_import([tmp_path], developer_email=ANA)
    assert (grown.files_read, grown.files_resumed, grown.files_unchanged, grown.lines) == (1, 0, 0, 7)
    assert (grown.requests_new, grown.requests_updated) == (2, 1)  # msg_c, msg_d new; msg_b's larger copy
    assert UsageEvent.objects.count() == 4
    daily_cost_recompute_dirty()
    assert sum(d.cost for d in DailyCost.objects.all()) == FINAL_COST
    cursor = TranscriptCursor.objects.get()
    assert (cursor.offset, cursor.lines) == (os.path.getsize(path), 7)

    again = usage_import([tmp_path], developer_email=ANA)
    assert (again.files_unchanged, again.lines, again.requests_new) == (1, 0, 0)


def test_a_copy_first_read_in_the_same_run_gets_its_cursor_from_the_next(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", FIRST)
    write_jsonl(tmp_path / "b.jsonl", FIRST)
    first = usage_import([tmp_path], developer_email=ANA)
    assert (first.files_read, first.files_unchanged) == (1, 1)
    assert len(cursors()) == 1  # the copy's content was not written yet when it was skipped

    second = usage_import([tmp_path], developer_email=ANA)
    assert (second.files_unchanged, second.lines) == (2, 0)
    found = figures(cursors())
    assert len(found) == 2 and len({value[4:] for value in found.values()}) == 1


def test_content_imported_for_nobody_or_another_developer_gets_no_cursor_for_this_one(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", FIRST)
    usage_import([tmp_path], developer_email=BOB)
    TranscriptCursor.objects.all().delete()

    ana = usage_import([tmp_path], developer_email=ANA)  # Bob's file is not Ana's: read for her
    assert (ana.files_read, ana.files_unchanged, ana.lines) == (1, 0, 4)
    assert set(cursors()) == {(ANA, str(path))}  # from her read, none for Bob
    bob = usage_import([tmp_path], developer_email=BOB)
    assert (bob.files_unchanged, bob.lines) == (1, 0)
    assert set(cursors()) == {(ANA, str(path)), (BOB, str(path))}

    # The same bytes known only as a file whose rows name their own people (no developer): skipped as
    # before, but nothing says they were imported for Ana
    TranscriptCursor.objects.all().delete()
    ImportedFile.objects.all().delete()
    ImportedFile.objects.create(developer=None, fingerprint=plain_fingerprint(str(path), os.path.getsize(path)),
                                name=str(path), size=os.path.getsize(path))
    skipped = usage_import([tmp_path], developer_email=ANA)
    assert (skipped.files_unchanged, skipped.lines) == (1, 0)
    assert not TranscriptCursor.objects.exists()


def test_lines_are_counted_across_blocks_and_many_cursors_flush_with_the_run(tmp_path, monkeypatch):
    long_line = dict(USER_LINE, message={"role": "user", "content": "x" * (3 * 1024 * 1024)})  # over 1 MiB blocks
    for i in range(3):
        lines = [dict(line, sessionId=f"s{i}") for line in [*FIRST, long_line, *GROWTH, long_line]]
        path = write_jsonl(tmp_path / f"s{i}.jsonl", [*lines, ""])
        with open(path, "a") as fh:
            fh.write('{"type": "user", "sessi')  # still being written
    usage_import([tmp_path], developer_email=ANA)
    by_reads = figures(cursors())
    assert {value[5] for value in by_reads.values()} == {10}  # the empty line too; not the partial last one
    TranscriptCursor.objects.all().delete()
    monkeypatch.setattr(import_run, "FLUSH_REQUESTS", 2)  # the cursors of skipped files flushed as they pile up

    batch = usage_import([tmp_path], developer_email=ANA)
    assert (batch.files_unchanged, batch.lines) == (3, 0)
    assert figures(cursors()) == by_reads
