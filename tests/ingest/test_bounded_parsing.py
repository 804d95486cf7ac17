"""Hostile files within bounds: an overlong line is skipped without being held, floods of blank
lines or empty records are one rejection with their count (exact), and JSON read element by
element (ijson) gives exactly what reading it whole gives."""
from __future__ import annotations

import io
import json
import time
import tracemalloc

import orjson
import pytest

from costdash.ingest.parsers import claude_code_jsonl, json_reader, parser_for
from costdash.ingest.parsers import litellm_payload as payload
from costdash.ingest.parsers.base import ParsedRequest, ParseStats, Rejected
from costdash.ingest.services import usage_import
from costdash.ingest.summary import batch_summary_lines
from tests.conftest import SAMPLES

from .transcripts import assistant_line

ANA = "ana@example.com"
MB = 1024 * 1024


def parsed(parser, data: bytes | io.IOBase, name: str):
    stats = ParseStats()
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    items = list(parser.parse(stream, name, stats))
    return [i for i in items if not isinstance(i, Rejected)], [i for i in items if isinstance(i, Rejected)], stats


def line(msg: str) -> bytes:
    return json.dumps(assistant_line(msg=msg, req=f"req_{msg}")).encode() + b"\n"


# --- An overlong line ------------------------------------------------------------------------------


def test_a_64_mb_transcript_line_is_skipped_unheld_and_the_lines_around_it_land(tmp_path):
    path = tmp_path / "long.jsonl"
    with open(path, "wb") as fh:
        fh.write(line("msg_a"))
        for _ in range(64):
            fh.write(b'{"type":"user","x":"' + b"x" * MB + b'"')  # one line of 64 MB and a bit
        fh.write(b"}\n")
        fh.write(line("msg_b"))
    size = path.stat().st_size - 2 * len(line("msg_a")) - 1
    tracemalloc.start()
    try:
        with open(path, "rb") as stream:
            requests, rejected, stats = parsed(claude_code_jsonl, stream, "long.jsonl")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [r.message_id for r in requests] == ["msg_a", "msg_b"]
    assert [(r.line, r.reason) for r in rejected] == [
        (2, f"line is {size:,} bytes, over the {16 * MB:,}-byte limit")
    ]
    assert stats.lines == 3
    assert peak < 48 * MB, f"peak {peak / MB:.0f} MB for a 64 MB line"  # the line held would be > 64 MB


def test_an_overlong_last_line_without_newline_is_rejected_too():
    requests, rejected, stats = parsed(claude_code_jsonl, line("msg_a") + b"{" + b"y" * (17 * MB), "t.jsonl")
    assert [r.message_id for r in requests] == ["msg_a"]
    assert [(r.line, r.reason) for r in rejected] == [(2, f"line is {17 * MB + 1:,} bytes, over the {16 * MB:,}-byte limit")]


def test_an_overlong_ndjson_line_is_skipped_and_the_records_around_it_land():
    record = json.loads((SAMPLES / "litellm" / "litellm_spendlog_example_trimmed.json").read_text())
    good = [dict(record, id=f"msg_{i}") for i in range(2)]
    data = (orjson.dumps(good[0]) + b"\n" + b'{"id": "' + b"z" * (20 * MB) + b'"}\n' + b"\n" * 3
            + orjson.dumps(good[1]) + b"\n")
    # a SpendLogs row read as payload: parse it as the spendlogs parser would pick it
    parser = parser_for(data[:8192], "rows.ndjson")
    requests, rejected, _ = parsed(parser, data, "rows.ndjson")
    assert len(requests) == 2
    assert [(r.line, r.reason) for r in rejected] == [
        (2, f"line is {20 * MB + 10:,} bytes, over the {16 * MB:,}-byte limit")
    ]


# --- Floods ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_two_million_blank_lines_are_one_rejection_counted_exactly(tmp_path):
    path = tmp_path / "blank.jsonl"
    path.write_bytes(line("msg_a") + b"\n" * 2_000_000 + b" \t\r\n" + line("msg_b"))
    started = time.process_time()
    batch = usage_import([path], developer_email=ANA)
    cpu = time.process_time() - started
    assert batch.status == "done" and batch.requests_new == 2
    assert batch.rejected == 2_000_001 and batch.rejected_by_reason == {"empty line": 2_000_001}
    assert batch.errors == [{
        "file": str(path), "line": 2, "count": 2_000_001,
        "reason": "lines 2-2,000,002: 2,000,001 × empty line",
    }]
    assert len(orjson.dumps(batch.errors)) < 200
    summary = "\n".join(batch_summary_lines(batch))
    assert f"{path}:2: lines 2-2,000,002: 2,000,001 × empty line" in summary and "more" not in summary
    assert cpu < 3, f"{cpu:.1f} s of CPU for 2M blank lines"  # one object per line took several


def test_blank_runs_are_found_between_bad_lines_with_their_numbers():
    data = line("msg_a") + b"\n\n" + b"junk\n" + b"  \n" + line("msg_b") + b"\n"
    _, rejected, stats = parsed(claude_code_jsonl, data, "t.jsonl")
    assert [(r.line, r.count, r.reason) for r in rejected] == [
        (2, 2, "empty line"), (4, 1, "malformed JSON (truncated or not an object)"), (5, 1, "empty line"),
        (7, 1, "empty line"),
    ]
    assert stats.lines == 7


def test_a_json_array_of_200k_empty_records_is_one_rejection_counted_exactly():
    data = b"[" + b",".join([b"{}"] * 200_000) + b"]"
    started = time.process_time()
    requests, rejected, stats = parsed(payload, data, "payloads.json")
    cpu = time.process_time() - started
    assert requests == [] and stats.lines == 200_000
    [run] = rejected
    assert (run.line, run.count) == (1, 200_000) and "field id" in run.reason
    assert run.as_dict()["reason"].startswith("lines 1-200,000: 200,000 × ")
    assert cpu < 5, f"{cpu:.1f} s of CPU"


def test_a_page_holding_millions_of_objects_stops_the_reading_instead_of_building_them(monkeypatch):
    monkeypatch.setattr(json_reader, "MAX_RECORD_OBJECTS", 50_000)
    monkeypatch.setattr(json_reader, "WHOLE_BYTES", 0)  # as for a document over 1 MB
    data = b'{"data": [' + b",".join([b"{}"] * 200_000) + b"]}"
    requests, [rejected], _ = parsed(payload, data, "page.json")
    assert requests == [] and rejected.line == 0 and "over 50,000 JSON objects" in rejected.reason
    monkeypatch.setattr(json_reader, "WHOLE_BYTES", 1024 * 1024)
    for shape in (data, data.replace(b"{}", b"[]")):  # one line: as NDJSON, never parsed whole
        requests, [rejected], _ = parsed(payload, shape, "page.json")
        assert requests == [] and "over 50,000 JSON objects" in rejected.reason


# --- ijson gives what reading whole gives ---------------------------------------------------------


JSON_SAMPLES = sorted((SAMPLES / "admin-api").glob("*.json")) + sorted((SAMPLES / "litellm").glob("*.json"))


@pytest.mark.parametrize("path", JSON_SAMPLES, ids=lambda p: p.name)
def test_samples_read_element_by_element_give_the_same_records_and_rejections(path, monkeypatch):
    data = path.read_bytes()
    parser = parser_for(data[:8192], path.name)
    assert parser is not None
    whole = parsed(parser, data, path.name)
    monkeypatch.setattr(json_reader, "WHOLE_BYTES", 0)  # every document through ijson
    streamed = parsed(parser, data, path.name)
    assert streamed[:2] == whole[:2] and streamed[2].lines == whole[2].lines
    assert whole[0], "the sample gives records"
    # and as an array of many copies (the shape of an export), element by element
    value = json.loads(data)
    if isinstance(value, dict) and "request_id" in value:
        copies = [dict(value, request_id=f"r{i}") for i in range(3)]
        many = parsed(parser, json.dumps(copies, indent=2).encode(), path.name)
        assert [r.dedupe_key for r in many[0]] == ["litellm:r0", "litellm:r1", "litellm:r2"]


def test_a_large_array_streamed_keeps_its_numbering_and_bad_elements():
    record = json.loads((SAMPLES / "litellm" / "litellm_spendlog_example_trimmed.json").read_text())
    rows = [dict(record, request_id=f"r{i}") for i in range(400)]  # ~2 MB: over WHOLE_BYTES
    rows[10] = 7
    rows[20] = dict(rows[20], request_id=None)
    data = orjson.dumps(rows)
    assert len(data) > json_reader.WHOLE_BYTES
    parser = parser_for(data[:8192], "rows.json")
    requests, rejected, stats = parsed(parser, data, "rows.json")
    assert len(requests) == 398 and stats.lines == 400
    assert [(r.line, r.reason) for r in rejected] == [
        (11, "row is not a JSON object"), (21, "field request_id is missing"),
    ]
    assert all(isinstance(r, ParsedRequest) for r in requests)


# --- CSV: the field cap is set on purpose, and a line is never held past the line cap -------------

SPENDLOGS_HEADER = b"request_id,startTime,model,prompt_tokens,completion_tokens,metadata\n"


def test_a_csv_line_over_the_cap_stops_the_reading_without_being_held():
    from costdash.ingest.parsers import litellm_daily, litellm_spendlogs

    data = SPENDLOGS_HEADER + b"a," + b"x" * (20 * MB) + b"\nb,c\n"
    tracemalloc.start()
    try:
        requests, [rejected], _ = parsed(litellm_spendlogs, data, "x.csv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert requests == [] and rejected.line == 0
    assert rejected.reason == f"malformed CSV (line 2 is over the {16 * MB:,}-byte limit); reading stopped"
    assert peak < 40 * MB  # a TextIOWrapper line (plus csv's 4-byte characters) would be far over
    daily = b"date,model,prompt_tokens,completion_tokens,api_requests,cache_read_input_tokens,cache_creation_input_tokens\n"
    _, [rejected], _ = parsed(litellm_daily, daily + b"2026-05-04," + b"m" * (17 * MB) + b"\n", "d.csv")
    assert "line 2 is over the" in rejected.reason


def test_the_csv_field_cap_is_the_line_cap_whatever_ran_before():
    import csv

    from costdash.ingest.parsers import litellm_spendlogs

    csv.field_size_limit(2**30)  # something else in the process raised it
    quoted = SPENDLOGS_HEADER + b'a,"' + b"x\n" * (9 * MB) + b'"\n'  # one field of 18 MB over many lines
    requests, [rejected], _ = parsed(litellm_spendlogs, quoted, "x.csv")
    assert rejected.line == 0 and f"field larger than field limit ({16 * MB})" in rejected.reason
    assert csv.field_size_limit() == 16 * MB


# --- Floods of empty records counted at C speed (no Python work per record) --------------------------


ROW = b'{"startTime": 1, "response_cost": 0}'


def test_five_million_empty_ndjson_records_are_one_rejection_counted_in_seconds():
    data = ROW + b"\n" + b"{}\n" * 5_000_000 + b'{ }\r\n{"id": "x"}\n'
    started = time.process_time()
    records, rejected, stats = parsed(payload, data, "flood.ndjson")
    assert time.process_time() - started < 5
    assert records == []
    assert [(r.line, r.count, r.reason) for r in rejected] == [
        (1, 5_000_002, "field id is missing"), (5_000_003, 1, rejected[-1].reason)]
    assert stats.lines == 5_000_003


def test_runs_of_empty_ndjson_records_give_what_reading_each_gives(monkeypatch):
    data = (ROW + b"\n{}\n{}\n\n{ } \n\t{}\r\n" + b"{}\n" * 3 + b"{}\n\x0c{}\n{}\n{}\nnot json\n{}\n{}")
    fast = parsed(payload, data, "p.ndjson")
    monkeypatch.setattr(json_reader, "EMPTY_LINES", json_reader.re.compile(rb"(?!)"))
    slow = parsed(payload, data, "p.ndjson")
    assert [r.as_dict() for r in fast[1]] == [r.as_dict() for r in slow[1]]
    assert fast[2] == slow[2]
    assert [(r.line, r.count) for r in fast[1]] == [(1, 3), (5, 6), (11, 1), (12, 2), (14, 1), (15, 2)]


@pytest.mark.parametrize("module", ["otel_logs", "otel_metrics"])
def test_five_million_empty_otlp_bodies_are_skipped_in_seconds(module):
    import importlib

    parser = importlib.import_module(f"costdash.ingest.parsers.{module}")
    head = b'{"resourceLogs": []}\n' if module == "otel_logs" else b'{"resourceMetrics": []}\n'
    data = head + b"{}\n" * 5_000_000 + b"\n{ }\r\n" + b'{"resourceLogs": 1, "resourceMetrics": 1}\nnot json\n'
    started = time.process_time()
    records, rejected, stats = parsed(parser, data, "flood.json")
    assert time.process_time() - started < 5
    assert records == []
    assert [(r.line, r.count) for r in rejected] == [(5_000_004, 1), (5_000_005, 1)]
    assert stats.lines == 5_000_005


def test_a_multi_line_otlp_body_holding_empty_objects_is_read_whole():
    from costdash.ingest.parsers import otlp_files

    data = b'{"resourceLogs": [\n{}\n,\n{}\n]}\n'
    out = list(otlp_files.bodies(io.BytesIO(data), "f.json", ParseStats(), None, "logs"))
    assert out == [(None, {"resourceLogs": [{}, {}]})]


def test_five_million_empty_records_in_a_json_array_are_one_rejection_counted_in_seconds():
    data = b"[" + ROW + b"," + b"{}," * 5_000_000 + b"{ },\n{}]"
    started = time.process_time()
    records, rejected, stats = parsed(payload, data, "flood.json")
    assert time.process_time() - started < 5
    assert records == []
    assert [(r.line, r.count, r.reason) for r in rejected] == [(1, 5_000_003, "field id is missing")]
    assert stats.lines == 5_000_003


def test_runs_in_a_large_array_give_what_reading_each_element_gives(monkeypatch):
    """Runs inside strings or records are left alone; the numbering after each run is right."""
    from costdash.ingest.parsers import json_runs
    from tests.ingest.test_parser_litellm_payload import record

    good = json.dumps(record()).encode()
    tricky = [
        b'{"id": "s", "note": "' + b"{},"  * 200 + b'\\\\", "x": "\\"' + b"{}," * 100 + b'"}',
        b'{"id": "n", "list": [' + b"{}," * 300 + b"{}]}",
        b"[" + b"{}," * 100 + b"{}]",
        b"{ }, \n{\t}\r\n, " * 70 + b"{}",
        b'"' + b"{}," * 90 + b'"',
    ]
    parts = [b"[", good]
    for i in range(3000):
        parts += [b",", tricky[i % len(tricky)], b",", b"{}," * (i % 150) + b"{}", b",",
                  good.replace(b'"id"', b'"i"') if i % 2 else good]
    data = b"".join(parts) + b"]"
    assert len(data) > json_reader.WHOLE_BYTES
    rewrite, markers = json_runs.ArrayRuns.rewrite, []

    def counting(self, piece):
        out = rewrite(self, piece)
        markers.append(out.count(json_runs.MARKER.encode()))
        return out

    monkeypatch.setattr(json_runs.ArrayRuns, "rewrite", counting)
    fast = parsed(payload, data, "p.json")
    assert sum(markers) > 500  # the fast path ran (runs of 64+ outside strings and records)
    monkeypatch.setattr(json_runs.ArrayRuns, "rewrite", lambda self, piece: piece)
    slow = parsed(payload, data, "p.json")
    assert [r.as_dict() for r in fast[1]] == [r.as_dict() for r in slow[1]]
    assert fast[0] == slow[0] and fast[2] == slow[2]
    assert sum(r.count for r in fast[1]) > 100_000 and len(fast[1]) < 30_000


@pytest.mark.parametrize("piece", [1, 7, 64, 1000, 65536])
def test_array_runs_are_rewritten_only_at_the_top_level_whatever_the_pieces(piece):
    import re

    from costdash.ingest.parsers import json_runs

    run = b"{}," * 70
    doc = b"".join([
        b'[{"a": "\\\\", "b": "\\"', run, b'\\\\\\"x"},', run, b'{"c": [', run, b'{}]}, "', run, b'",',
        b"[", run, b"{}],", run, b'{"d": "\\\\\\\\"}, ', run, b"{}]",
    ])
    runs = json_runs.ArrayRuns()
    out = b"".join(runs.rewrite(doc[i:i + piece]) for i in range(0, len(doc), piece))
    marker = re.compile(rb'\{"' + json_runs.MARKER.encode() + rb'":(\d+)\},')
    assert marker.sub(lambda m: b"{}," * int(m.group(1)), out) == doc
    if piece > len(doc):  # one piece: the three top-level runs, and only those
        assert [int(n) for n in marker.findall(out)] == [70, 70, 70]
    assert runs.depth == 0 and runs.carry == b""


# --- SpendLogs JSON rows: runs of {} counted at C speed too (issue 11 leftover) ----------------------


SPENDLOGS_ROW = b'{"request_id": "r1", "startTime": "2026-11-03T09:00:00Z", "status": "success"}'


def test_five_million_empty_spendlogs_rows_in_a_json_array_are_one_rejection_counted_in_seconds():
    from costdash.ingest.parsers import litellm_spendlogs

    data = b"[" + SPENDLOGS_ROW + b"," + b"{}," * 5_000_000 + b"{ },\n{}]"
    assert parser_for(data[:8192], "rows.json") is litellm_spendlogs
    started = time.process_time()
    records, rejected, stats = parsed(litellm_spendlogs, data, "rows.json")
    assert time.process_time() - started < 5
    assert records == []
    assert [(r.line, r.count, r.reason) for r in rejected] == [
        (1, 1, rejected[0].reason), (2, 5_000_002, "field request_id is missing")]
    assert stats.lines == 5_000_003


def test_runs_of_empty_spendlogs_rows_give_what_reading_each_gives(monkeypatch):
    from costdash.ingest.parsers import litellm_spendlogs

    data = (SPENDLOGS_ROW + b"\n{}\n{}\n\n{ } \n\t{}\r\n" + b"{}\n" * 3 + b"{}\n\x0c{}\n{}\n{}\nnot json\n{}\n{}")
    fast = parsed(litellm_spendlogs, data, "rows.ndjson")
    monkeypatch.setattr(json_reader, "EMPTY_LINES", json_reader.re.compile(rb"(?!)"))
    slow = parsed(litellm_spendlogs, data, "rows.ndjson")
    assert [r.as_dict() for r in fast[1]] == [r.as_dict() for r in slow[1]]
    assert fast[2] == slow[2]
    assert [(r.line, r.count) for r in fast[1]][1:] == [(2, 2), (5, 6), (11, 1), (12, 2), (14, 1), (15, 2)]
