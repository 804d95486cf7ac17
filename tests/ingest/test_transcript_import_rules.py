"""The import's rules on hand-made transcripts: repeats, duplicates, bad lines, unknown models, days."""
from decimal import Decimal
import io
import tarfile
import zipfile

import pytest

from costdash.accounts.models import OrgSettings
from costdash.ingest.models import UsageEvent
from costdash.ingest.services import usage_import
from costdash.rollups.models import DailyCost
from costdash.rollups.services import daily_cost_recompute_dirty

from .transcripts import assistant_line, write_jsonl

pytestmark = pytest.mark.django_db
ANA = "ana@example.com"


def test_streamed_repeats_keep_the_copy_with_most_output(tmp_path):
    lines = [assistant_line(output=n) for n in (3, 250, 40)]  # one response written as three blocks
    batch = usage_import([write_jsonl(tmp_path / "s.jsonl", lines)], developer_email=ANA)
    event = UsageEvent.objects.get()
    assert event.output_tokens == 250
    assert batch.usage_lines == 3 and batch.requests_new == 1


def test_larger_copy_in_a_later_import_replaces_and_smaller_never_shrinks(tmp_path):
    usage_import([write_jsonl(tmp_path / "a.jsonl", [assistant_line(output=100)])], developer_email=ANA)
    grown = usage_import(
        [write_jsonl(tmp_path / "b.jsonl", [assistant_line(output=300, session="other-file")])], developer_email=ANA
    )
    shrunk = usage_import(
        [write_jsonl(tmp_path / "c.jsonl", [assistant_line(output=5, session="third")])], developer_email=ANA
    )
    event = UsageEvent.objects.get()
    assert event.output_tokens == 300
    # Sonnet 4.6: 4 × $3 + 300 × $15 + 1000 × $0.30 per MTok = (12 + 4500 + 300) / 1e6
    assert event.cost == Decimal("0.004812")
    assert (grown.requests_updated, grown.requests_new) == (1, 0)
    assert (shrunk.duplicates, shrunk.requests_updated) == (1, 0)


def test_same_request_in_main_file_and_subagent_file_counted_once(tmp_path):
    line = assistant_line(msg="msg_sub", req="req_sub", output=70)
    progress = {
        "type": "progress", "sessionId": "s-1", "timestamp": "2026-03-02T10:00:01.000Z",
        "data": {"type": "agent_progress", "agentId": "a1",
                 "message": {"type": "assistant", "requestId": "req_sub", "timestamp": "2026-03-02T10:00:00.000Z",
                             "message": line["message"]}},
    }
    write_jsonl(tmp_path / "proj" / "s-1.jsonl", [progress])
    write_jsonl(tmp_path / "proj" / "s-1" / "subagents" / "agent-a1.jsonl", [dict(line, isSidechain=True)])
    batch = usage_import([tmp_path], developer_email=ANA)
    assert UsageEvent.objects.count() == 1
    assert batch.files_read == 2 and batch.usage_lines == 2


def test_btw_replay_with_another_request_id_is_dropped(tmp_path):
    original = assistant_line(msg="msg_a", req="req_a", output=90)
    replay = dict(assistant_line(msg="msg_a", req="req_btw", output=90), isSidechain=True)
    usage_import([write_jsonl(tmp_path / "s.jsonl", [original, replay])], developer_email=ANA)
    assert UsageEvent.objects.count() == 1


def test_malformed_lines_are_reported_with_file_and_line_and_the_rest_lands(tmp_path):
    good = [assistant_line(msg=f"msg_{i}", req=f"req_{i}") for i in range(3)]
    truncated = '{"type":"assistant","message":{"id":"msg_x","usage":{"input_tokens":4,'
    wrong_type = assistant_line(msg="msg_w", req="req_w", output="lots")
    no_time = assistant_line(msg="msg_t", req="req_t")
    del no_time["timestamp"]
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [good[0], "not json at all", truncated, good[1], "", wrong_type, no_time, good[2], '{"type":"user"'],
    )
    batch = usage_import([path], developer_email=ANA)
    assert UsageEvent.objects.count() == 3
    assert batch.status == "done"
    by_line = {e["line"]: e["reason"] for e in batch.errors}
    assert set(by_line) == {2, 3, 5, 6, 7, 9}
    assert all(e["file"] == str(path) for e in batch.errors)
    assert "malformed" in by_line[3] and "empty" in by_line[5]
    assert "usage.output_tokens" in by_line[6] and "timestamp" in by_line[7]
    assert batch.rejected == 6


def test_a_file_with_a_final_line_cut_short_keeps_its_good_lines(tmp_path):
    path = tmp_path / "s.jsonl"
    write_jsonl(path, [assistant_line()])
    with open(path, "a") as fh:
        fh.write('{"type":"assistant","message":{"usage":{"output_tokens":')  # no newline: a crash mid-write
    batch = usage_import([path], developer_email=ANA)
    assert UsageEvent.objects.count() == 1
    assert batch.errors == [{"file": str(path), "line": 2, "reason": "malformed JSON (truncated or invalid line)"}]


def test_synthetic_lines_are_skipped_not_priced(tmp_path):
    synthetic = assistant_line(msg="msg_s", req="req_s", model="<synthetic>", input_tokens=0, output=0, read=0)
    batch = usage_import([write_jsonl(tmp_path / "s.jsonl", [synthetic, assistant_line()])], developer_email=ANA)
    assert list(UsageEvent.objects.values_list("model", flat=True)) == ["claude-sonnet-4-6"]
    assert batch.unpriced_models == []


def test_unknown_model_is_stored_unpriced_never_zero(tmp_path):
    lines = [assistant_line(msg="m1", req="r1"), assistant_line(msg="m2", req="r2", model="claude-experimental-9")]
    batch = usage_import([write_jsonl(tmp_path / "s.jsonl", lines)], developer_email=ANA)
    daily_cost_recompute_dirty()
    unknown = UsageEvent.objects.get(model="claude-experimental-9")
    assert unknown.cost is None and unknown.unpriced and unknown.output_tokens == 100
    assert batch.unpriced_models == [{"model": "claude-experimental-9", "requests": 1}]
    row = DailyCost.objects.get(model="claude-experimental-9")
    assert row.unpriced_requests == 1 and row.requests == 1 and row.cost == 0
    assert DailyCost.objects.get(model="claude-sonnet-4-6").unpriced_requests == 0


def test_date_suffixed_model_ids_resolve_to_their_model(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", [assistant_line(model="claude-haiku-4-5-20251001", output=1000, read=0)])
    usage_import([path], developer_email=ANA)
    event = UsageEvent.objects.get()
    assert event.model == "claude-haiku-4-5" and event.raw_model == "claude-haiku-4-5-20251001"
    assert event.cost == Decimal("0.005004")  # 4 × $1 + 1000 × $5 per MTok


def test_reimport_changes_nothing_and_skips_unchanged_files(tmp_path):
    lines = [assistant_line(msg=f"m{i}", req=f"r{i}", output=10 + i) for i in range(20)]
    write_jsonl(tmp_path / "p" / "a.jsonl", lines[:10])
    write_jsonl(tmp_path / "p" / "b.jsonl", lines[10:])
    usage_import([tmp_path], developer_email=ANA)
    daily_cost_recompute_dirty()
    before_events = list(UsageEvent.objects.order_by("pk").values())
    before_rollup = list(DailyCost.objects.order_by("pk").values_list("day", "model", "requests", "cost"))
    again = usage_import([tmp_path], developer_email=ANA)
    assert (again.files_read, again.files_unchanged, again.requests_new) == (0, 2, 0)
    assert daily_cost_recompute_dirty() == 0  # nothing was marked dirty
    assert list(UsageEvent.objects.order_by("pk").values()) == before_events
    assert list(DailyCost.objects.order_by("pk").values_list("day", "model", "requests", "cost")) == before_rollup


def test_a_grown_file_is_read_again_and_only_new_requests_land(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", [assistant_line(msg="m1", req="r1")])
    usage_import([path], developer_email=ANA)
    write_jsonl(path, [assistant_line(msg="m1", req="r1"), assistant_line(msg="m2", req="r2")])
    batch = usage_import([path], developer_email=ANA)
    # read from where the last import stopped (test_transcript_resume.py): m1 is not read again
    assert (batch.files_read, batch.files_resumed, batch.lines) == (1, 1, 1)
    assert (batch.requests_new, batch.duplicates) == (1, 0)
    assert UsageEvent.objects.count() == 2


def _archive_members(tmp_path):
    lines = [assistant_line(msg=f"m{i}", req=f"r{i}") for i in range(4)]
    return {
        "projects/-home-dev-app/s-1.jsonl": "\n".join(map(__import__("json").dumps, lines[:2])) + "\n",
        "projects/-home-dev-app/s-1/subagents/agent-x.jsonl": "\n".join(map(__import__("json").dumps, lines[2:])) + "\n",
        "projects/-home-dev-app/sessions-index.json": "{}",
    }


def test_zip_and_tar_gz_import_like_a_folder_and_dedupe_against_each_other(tmp_path):
    members = _archive_members(tmp_path)
    zpath = tmp_path / "claude.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    tpath = tmp_path / "claude.tar.gz"
    with tarfile.open(tpath, "w:gz") as tf:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    from_zip = usage_import([zpath], developer_email=ANA)
    assert (from_zip.files_read, from_zip.requests_new) == (2, 4)
    from_tar = usage_import([tpath], developer_email=ANA)
    assert (from_tar.files_read, from_tar.requests_new, from_tar.duplicates) == (2, 0, 4)
    assert usage_import([zpath], developer_email=ANA).files_unchanged == 2
    assert UsageEvent.objects.count() == 4


def test_a_broken_archive_fails_the_batch_with_a_clear_message(tmp_path):
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"this is not a zip")
    batch = usage_import([bad], developer_email=ANA)
    assert batch.status == "failed"
    assert "broken.zip" in batch.failure and "zip" in batch.failure


@pytest.mark.parametrize(
    "tz, timestamp, day",
    [
        ("America/Los_Angeles", "2026-03-03T07:59:59.999Z", "2026-03-02"),  # 23:59:59 PST
        ("America/Los_Angeles", "2026-03-03T08:00:00.000Z", "2026-03-03"),  # midnight PST
        ("Europe/Berlin", "2026-03-02T23:30:00.000Z", "2026-03-03"),  # 00:30 CET
        ("UTC", "2026-03-02T23:59:59.999Z", "2026-03-02"),
        ("America/New_York", "2026-03-09T03:59:00.000Z", "2026-03-08"),  # 23:59 EDT on the DST-change day
    ],
)
def test_days_are_decided_in_the_org_time_zone(tmp_path, tz, timestamp, day):
    org = OrgSettings.get()
    org.time_zone = tz
    org.save()
    usage_import([write_jsonl(tmp_path / "s.jsonl", [assistant_line(ts=timestamp)])], developer_email=ANA)
    daily_cost_recompute_dirty()
    assert [d.isoformat() for d in DailyCost.objects.values_list("day", flat=True)] == [day]


def test_uploader_email_is_the_developer_and_invalid_email_is_refused(tmp_path):
    from django.core.exceptions import ValidationError

    path = write_jsonl(tmp_path / "s.jsonl", [assistant_line()])
    usage_import([path], developer_email="  Ana@Example.com ")
    assert UsageEvent.objects.get().developer.email == "ana@example.com"
    with pytest.raises(ValidationError):
        usage_import([path], developer_email="not-an-email")


def test_adding_a_price_prices_the_unpriced_events_and_their_days(tmp_path):
    from costdash.ingest.services import usage_events_reprice
    from costdash.pricing.models import ModelPrice

    lines = [assistant_line(msg="m1", req="r1", model="claude-experimental-9", output=1000, read=0)]
    usage_import([write_jsonl(tmp_path / "s.jsonl", lines)], developer_email=ANA)
    daily_cost_recompute_dirty()
    assert DailyCost.objects.get().unpriced_requests == 1
    ModelPrice.objects.create(model="claude-experimental-9", input=1, cache_write_5m=Decimal("1.25"),
                              cache_write_1h=2, cache_read=Decimal("0.1"), output=5)
    assert usage_events_reprice() == 1
    daily_cost_recompute_dirty()
    row = DailyCost.objects.get()
    assert (row.unpriced_requests, row.cost) == (0, Decimal("0.005004"))  # 4 × $1 + 1000 × $5 per MTok
    assert usage_events_reprice() == 0  # nothing left unpriced: running again changes nothing


def test_text_with_tabs_backslashes_and_newlines_is_stored_exactly(tmp_path):
    odd = "C:\\Users\\ana\\my\tproject\nline\rend"
    line = assistant_line()
    line["cwd"] = odd + "\x00"  # NUL cannot be stored in a text column: it is dropped
    line["sessionId"] = "s\\1"
    usage_import([write_jsonl(tmp_path / "s.jsonl", [line])], developer_email=ANA)
    event = UsageEvent.objects.get()
    assert (event.project, event.session_id) == (odd, "s\\1")


def test_a_transcript_without_a_named_developer_is_rejected_not_guessed(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", [assistant_line()])
    batch = usage_import([path])
    assert not UsageEvent.objects.exists()
    assert batch.rejected == 1 and "does not say whose it is" in batch.errors[0]["reason"]
    assert batch.errors[0]["file"] == str(path)


def test_files_in_no_known_format_are_counted_as_ignored(tmp_path):
    write_jsonl(tmp_path / "p" / "s.jsonl", [assistant_line()])
    (tmp_path / "p" / "sessions-index.json").write_text('{"sessions": []}')
    (tmp_path / "p" / "notes.csv").write_text("a,b\n1,2\n")
    batch = usage_import([tmp_path], developer_email=ANA)
    assert (batch.files_read, batch.files_ignored, batch.rejected) == (1, 2, 0)
    assert UsageEvent.objects.count() == 1
