"""LiteLLM_SpendLogs parser: CSV and JSON shapes built from the real sample row, the
prompt_tokens trap, the 5m/1h split, identity, skipped rows, and hostile input.

The sample (shared/samples/litellm/, litellm 1.109.1, Claude Sonnet 4.5): 12 uncached input,
48,000 cache read, 3,200 cache write (all 5m), 850 output; prompt_tokens 51,212 = 12 + 48,000
+ 3,200 (the >= 1.78 rule); spend 0.039186 = (12×3 + 48,000×0.30 + 3,200×3.75 + 850×15) / 1e6.
"""
import copy
import csv
from datetime import datetime, timezone
from decimal import Decimal
import io
import json

import pytest

from costdash.ingest.parsers import litellm_common
from costdash.ingest.parsers import litellm_spendlogs as spendlogs
from costdash.ingest.parsers.base import ParsedFailure, ParsedRequest, ParseStats, Rejected
from tests.conftest import SAMPLES

SAMPLE = json.loads((SAMPLES / "litellm" / "litellm_spendlog_example_trimmed.json").read_text())
SAMPLE_CLASSES = {"input_tokens": 12, "cache_read_tokens": 48_000, "cache_write_5m_tokens": 3_200,
                  "cache_write_1h_tokens": 0, "output_tokens": 850}
TRANSCRIPT = SAMPLES / "claude-code-viewer/mock-global-claude-dir/projects/sample-project/fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl"
OTLP = SAMPLES / "otel" / "a11ign_claude_code_2.1.294_logs_request.json"


def row(**changes) -> dict:
    """A deep copy of the sample row with top-level changes."""
    return {**copy.deepcopy(SAMPLE), **changes}


def usage(r: dict) -> dict:
    return r["metadata"]["usage_object"]


def details(r: dict) -> dict:
    return usage(r)["prompt_tokens_details"]


def csv_bytes(rows: list[dict], columns: list[str] | None = None) -> bytes:
    """A psql-style CSV export: JSON columns as JSON text, NULL as an empty cell."""
    columns = columns or list(SAMPLE)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([
            json.dumps(r.get(c)) if isinstance(r.get(c), dict | list) else ("" if r.get(c) is None else r.get(c))
            for c in columns
        ])
    return out.getvalue().encode()


def run(data: bytes, name: str = "spendlogs.json"):
    stats = ParseStats()
    items = list(spendlogs.parse(io.BytesIO(data), name, stats))
    requests = [i for i in items if isinstance(i, ParsedRequest)]
    rejected = [i for i in items if isinstance(i, Rejected)]
    failures = [i for i in items if isinstance(i, ParsedFailure)]  # tests/ingest/test_failed_calls.py
    assert len(requests) + len(rejected) + len(failures) == len(items)
    return requests, rejected, stats


def classes(request: ParsedRequest) -> dict:
    return {k: getattr(request, k) for k in SAMPLE_CLASSES}


def page(rows: list[dict], **extra) -> dict:
    return {"data": rows, "total": len(rows), "page": 1, "page_size": 50, "total_pages": 1, "total_is_capped": False,
            **extra}


SHAPES = {
    "json row": lambda: json.dumps(SAMPLE).encode(),
    "json array": lambda: json.dumps([SAMPLE]).encode(),
    "pretty json array": lambda: json.dumps([SAMPLE], indent=2).encode(),
    "v2 page": lambda: json.dumps(page([SAMPLE])).encode(),
    "pretty v2 page": lambda: json.dumps(page([SAMPLE]), indent=2).encode(),
    "array of v2 pages": lambda: json.dumps([page([SAMPLE])]).encode(),
    "ndjson": lambda: (json.dumps(SAMPLE) + "\n").encode(),
    "csv": lambda: csv_bytes([SAMPLE]),
    "csv with BOM and CRLF": lambda: b"\xef\xbb\xbf" + csv_bytes([SAMPLE]).replace(b"\n", b"\r\n"),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_sample_row_in_every_shape_gives_the_hand_worked_classes(shape):
    data = SHAPES[shape]()
    assert spendlogs.detect(data[:8192], "export.csv" if "csv" in shape else "export.json")
    requests, rejected, stats = run(data, "export.csv" if "csv" in shape else "export.json")
    assert rejected == []
    [r] = requests
    # text_tokens (12) is a number, so it is the uncached input; never prompt_tokens (51,212).
    assert classes(r) == SAMPLE_CLASSES
    assert r.reported_cost == Decimal("0.039186") and isinstance(r.reported_cost, Decimal)
    assert r.timestamp == datetime(2026, 11, 22, 1, 44, 24, 744289, tzinfo=timezone.utc)
    assert r.dedupe_key == "litellm:msg_01XyzExample"
    assert r.message_id == "msg_01XyzExample" and r.request_id == ""
    assert (r.identity, r.email) == ("alice@example.com", "alice@example.com")
    assert r.raw_model == "claude-sonnet-4-5"
    assert r.session_id == "9da1cec6-3416-4c9a-a35d-5d459c6a47be"
    assert (r.service_tier, r.is_batch) == ("standard", False)
    assert (stats.lines, stats.usage_lines, stats.bytes) == (1, 1, len(data))


def test_progress_is_reported_for_every_byte():
    data = csv_bytes([SAMPLE] * 50)
    seen = []
    list(spendlogs.parse(io.BytesIO(data), "x.csv", ParseStats(), seen.append))
    assert sum(seen) == len(data)


# --- detect -----------------------------------------------------------------------------------


def test_detect_refuses_other_formats():
    transcript_head = TRANSCRIPT.read_bytes()[:8192]
    assert not spendlogs.detect(transcript_head, "session.jsonl")
    assert not spendlogs.detect(OTLP.read_bytes()[:8192], "logs.json")
    assert not spendlogs.detect(b"name,amount,date\nana,3,2026-01-01\n", "random.csv")
    daily = b"date,entity_id,entity_alias,api_key,key_alias,user_id,user_email,model,spend,flat_cost,prompt_tokens\n"
    assert not spendlogs.detect(daily, "daily_activity.csv")
    payload = json.dumps({"id": "msg_1", "response_cost": 0.1, "startTime": 1763775864.7, "model": "m"}).encode()
    assert not spendlogs.detect(payload, "payload.json")
    assert not spendlogs.detect(b"", "empty.csv")


def test_detect_claims_a_csv_missing_columns_so_parse_can_say_which():
    data = b"request_id,startTime,spend\nmsg_1,2026-05-04 09:12:30,0.1\n"
    assert spendlogs.detect(data, "short.csv")
    requests, rejected, _ = run(data, "short.csv")
    assert requests == []
    [r] = rejected
    assert r.line == 1
    assert "model" in r.reason and "prompt_tokens" in r.reason and "metadata" in r.reason


def test_csv_header_names_match_case_insensitively():
    data = csv_bytes([SAMPLE]).replace(b"startTime", b"starttime", 1).replace(b"request_id", b"REQUEST_ID", 1)
    assert spendlogs.detect(data[:8192], "x.csv")
    [r], [], _ = run(data, "x.csv")
    assert classes(r) == SAMPLE_CLASSES


# --- the prompt_tokens trap ---------------------------------------------------------------------


def test_without_text_tokens_the_1_78_rule_takes_reads_and_writes_out_of_prompt_tokens():
    r = row()
    details(r)["text_tokens"] = None  # null, as in the real 1.80.11 row of issue #11364
    [req], [], _ = run(json.dumps(r).encode())
    # 51,212 − 48,000 reads − 3,200 writes = 12, not 51,212 and not 3,212
    assert classes(req) == SAMPLE_CLASSES


def test_a_pre_1_78_row_has_prompt_tokens_without_the_writes():
    r = row(prompt_tokens=48_012, total_tokens=48_862)  # <= 1.77: 12 input + 48,000 reads
    usage(r)["prompt_tokens"] = 48_012
    details(r)["text_tokens"] = None
    [req], [], _ = run(json.dumps(r).encode())
    # 1.78 rule: 48,012 − 48,000 − 3,200 < 0, so the row is older: 48,012 − 48,000 = 12
    assert classes(req) == SAMPLE_CLASSES


def test_text_tokens_when_present_is_the_uncached_input():
    r = row()
    details(r)["text_tokens"] = 7  # a real number wins over any prompt_tokens arithmetic
    [req], [], _ = run(json.dumps(r).encode())
    assert req.input_tokens == 7


def test_only_additional_usage_values_as_in_1_65_gives_the_same_classes():
    r = row()
    del r["metadata"]["usage_object"]
    r["metadata"]["additional_usage_values"]["prompt_tokens_details"]["text_tokens"] = None
    [req], [], _ = run(json.dumps(r).encode())
    # 51,212 − 48,000 − 3,200 = 12; the split sits in additional_usage_values too
    assert classes(req) == SAMPLE_CLASSES


def test_cache_counts_fall_back_to_prompt_tokens_details():
    r = row()
    u = usage(r)
    del u["cache_read_input_tokens"], u["cache_creation_input_tokens"]
    [req], [], _ = run(json.dumps(r).encode())
    assert classes(req) == SAMPLE_CLASSES  # cached_tokens 48,000; cache_creation_tokens 3,200


def test_prompt_tokens_with_no_usage_object_is_rejected_not_priced_as_input():
    r = row()
    del r["metadata"]["usage_object"], r["metadata"]["additional_usage_values"]
    [], [rej], _ = run(json.dumps(r).encode())
    assert "metadata.usage_object" in rej.reason and rej.line == 1


def test_prompt_tokens_below_the_cache_reads_is_rejected():
    r = row(prompt_tokens=100)
    details(r)["text_tokens"] = None
    [], [rej], _ = run(json.dumps(r).encode())
    assert "prompt_tokens" in rej.reason


# --- 5m / 1h ------------------------------------------------------------------------------------


def test_the_5m_1h_split_comes_from_cache_creation_token_details():
    r = row()
    details(r)["cache_creation_token_details"].update(ephemeral_5m_input_tokens=1_200, ephemeral_1h_input_tokens=2_000)
    [req], [], _ = run(json.dumps(r).encode())
    assert (req.cache_write_5m_tokens, req.cache_write_1h_tokens) == (1_200, 2_000)
    assert req.input_tokens == 12 and req.cache_read_tokens == 48_000


def test_without_a_split_all_writes_are_5m_writes():
    r = row()
    del details(r)["cache_creation_token_details"]
    [req], [], _ = run(json.dumps(r).encode())
    assert (req.cache_write_5m_tokens, req.cache_write_1h_tokens) == (3_200, 0)
    r = row()
    details(r)["cache_creation_token_details"] = {"ephemeral_5m_input_tokens": None, "ephemeral_1h_input_tokens": None}
    [req], [], _ = run(json.dumps(r).encode())
    assert (req.cache_write_5m_tokens, req.cache_write_1h_tokens) == (3_200, 0)


def test_writes_the_split_leaves_out_count_as_5m():
    r = row()
    details(r)["cache_creation_token_details"].update(ephemeral_5m_input_tokens=1_000, ephemeral_1h_input_tokens=2_000)
    [req], [], _ = run(json.dumps(r).encode())
    assert (req.cache_write_5m_tokens, req.cache_write_1h_tokens) == (1_200, 2_000)  # 3,200 − 2,000 1h


# --- who --------------------------------------------------------------------------------------


def test_the_developer_is_user_never_end_user():
    r = row(user="u-7f3a", end_user='{"device_id":"d","session_id":"s"}')
    [req], [], _ = run(json.dumps(r).encode())
    assert req.identity == "u-7f3a"
    assert req.email == "alice@example.com"  # not an address itself: the key owner's email from metadata


def test_an_empty_user_falls_back_to_the_key_owner_in_metadata_not_to_end_user():
    r = row(user="", end_user="bob@example.com")
    [req], [], _ = run(json.dumps(r).encode())
    assert (req.identity, req.email) == ("alice@example.com", "alice@example.com")
    r = row(user=None, end_user="bob@example.com")
    for key in ("user_api_key_user_id", "user_api_key_user_email"):
        del r["metadata"][key]
    [req], [], _ = run(json.dumps(r).encode())
    assert (req.identity, req.email) == ("", "")


# --- skipped and kept rows ------------------------------------------------------------------------


def test_litellm_response_cache_hits_are_skipped():
    hit = row(request_id="msg_01XyzExample_cache_hit1763775864.7", cache_hit="True")
    requests, rejected, stats = run(json.dumps([hit, row(request_id="msg_2", cache_hit="True")]).encode())
    assert requests == [] and rejected == [] and stats.lines == 2 and stats.usage_lines == 0


def test_rows_without_tokens_are_skipped_unless_they_carry_spend():
    zero = dict(prompt_tokens=0, completion_tokens=0, total_tokens=0)
    failed = row(request_id="c0ffee", status="failure", spend=0.0, metadata={}, **zero)
    file_op = row(request_id="d1", call_type="acreate_file", spend=0, metadata={"usage_object": None}, **zero)
    priced = row(request_id="e2", call_type="call_mcp_tool", spend=0.01, metadata={}, **zero)
    requests, [rej], _ = run(json.dumps([failed, file_op, priced]).encode())
    assert requests == []
    assert rej.line == 3 and "field spend" in rej.reason


def test_a_failed_row_that_used_tokens_is_kept():
    [req], [], _ = run(json.dumps(row(status="failure")).encode())
    assert classes(req) == SAMPLE_CLASSES


def test_batch_cost_rows_and_batch_tier_are_batch_priced():
    tier = row(request_id="msg_tier")
    usage(tier)["service_tier"] = "batch"
    requests, [], _ = run(json.dumps([tier, row(request_id="batch_def_batch_cost"), row()]).encode())
    assert [q.is_batch for q in requests] == [True, True, False]
    assert requests[1].message_id == ""  # not a msg_ id


def test_model_group_stands_in_for_an_empty_model():
    [req], [], _ = run(json.dumps(row(model="")).encode())
    assert req.raw_model == "claude-sonnet-4-5"


def test_anthropic_request_id_is_taken_from_provider_headers_when_present():
    r = row()
    r["metadata"]["hidden_params"] = {"additional_headers": {"llm_provider-request-id": "req_011CabcDEF"}}
    [req], [], _ = run(json.dumps(r).encode())
    assert req.request_id == "req_011CabcDEF"


# --- timestamps --------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("2026-05-04 09:12:30.12", datetime(2026, 5, 4, 9, 12, 30, 120000, tzinfo=timezone.utc)),  # psql, zone-less UTC
    ("2026-05-04T09:12:30.120+00:00", datetime(2026, 5, 4, 9, 12, 30, 120000, tzinfo=timezone.utc)),
    ("2026-05-04T09:12:30Z", datetime(2026, 5, 4, 9, 12, 30, tzinfo=timezone.utc)),
    ("2026-05-04 11:12:30+02", datetime(2026, 5, 4, 9, 12, 30, tzinfo=timezone.utc)),
])
def test_start_time_formats_become_aware_utc(text, expected):
    [req], [], _ = run(csv_bytes([row(startTime=text)]), "x.csv")
    assert req.timestamp == expected and req.timestamp.tzinfo == timezone.utc


# --- malformed and hostile input ------------------------------------------------------------------


def test_bad_json_rows_are_rejected_by_index_naming_the_field_and_good_rows_still_come_out():
    bad_meta = row(request_id="m1")
    bad_meta["metadata"] = "{not json"
    deep = row(request_id="m2")
    deep["metadata"]["usage_object"]["cache_read_input_tokens"] = 10**12
    rows = [
        row(request_id="good-1"),
        row(prompt_tokens="51212"),  # a string where JSON has a number
        row(startTime=None),
        row(model=None, model_group=None),
        row(completion_tokens=-5),
        row(completion_tokens=10**30),  # orjson reads it as a float: still out of range
        bad_meta,
        deep,
        "not a row",
        row(spend=-0.5),
        row(startTime="yesterday"),
        row(startTime="2026-05-04"),
        row(user=42),
        row(request_id=None),
        row(request_id="x" * 500),
        row(request_id="good-2"),
    ]
    requests, rejected, stats = run(json.dumps(rows).encode())
    assert [r.dedupe_key for r in requests] == ["litellm:good-1", "litellm:good-2"]
    got = {r.line: r.reason for r in rejected}
    expect = {
        2: "field prompt_tokens", 3: "field startTime", 4: "field model", 5: "field completion_tokens",
        6: "field completion_tokens", 7: "field metadata", 8: "field usage.cache_read_input_tokens",
        9: "not a JSON object", 10: "field spend", 11: "field startTime", 12: "field startTime", 13: "field user",
        14: "field request_id", 15: "field request_id",
    }
    assert set(got) == set(expect)
    for line, fragment in expect.items():
        assert fragment in got[line], (line, got[line])
    assert stats.lines == 16 and stats.usage_lines == 2


def test_a_number_orjson_cannot_hold_is_a_row_error_not_a_lost_file():
    good = json.dumps(row(request_id="good")).encode()
    huge = json.dumps(row(request_id="huge")).replace('"completion_tokens": 850', '"completion_tokens": 1e400')
    requests, [rej], _ = run(b"[" + good + b"," + huge.encode() + b"]")
    assert [r.dedupe_key for r in requests] == ["litellm:good"]
    assert rej.line == 2 and "completion_tokens" in rej.reason


def test_bad_csv_rows_are_rejected_by_line_and_good_rows_still_come_out():
    pretty = row(request_id="pretty")  # metadata spread over several lines inside one quoted cell
    text = csv_bytes([row(request_id="good-1")]).decode()
    cols = list(SAMPLE)
    lines = text.splitlines()
    cells = next(csv.reader([lines[1]]))
    def variant(**changes):
        c = list(cells)
        for k, v in changes.items():
            c[cols.index(k)] = v
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(c)
        return out.getvalue()
    pretty_metadata = json.dumps(pretty["metadata"], indent=1)
    body = [
        variant(request_id="pretty", metadata=pretty_metadata),  # starts on line 3, spans many
        variant(request_id="b0", prompt_tokens="lots", metadata=pretty_metadata),  # reported at its first line
        variant(request_id="b1", prompt_tokens="lots"),
        variant(request_id="b2", metadata="{oops"),
        variant(request_id="b3", completion_tokens="99999999999999999999"),
        variant(request_id="b4", spend="NaN"),
        "msg_short,anthropic_messages\n",
        variant(request_id="good-2"),
    ]
    data = (lines[0] + "\n" + lines[1] + "\n" + "".join(body)).encode()
    requests, rejected, stats = run(data, "x.csv")
    assert [r.dedupe_key for r in requests] == ["litellm:good-1", "litellm:pretty", "litellm:good-2"]
    pretty_lines = body[0].count("\n")
    assert pretty_lines > 20
    got = {r.line: r.reason for r in rejected}
    assert "field prompt_tokens" in got[3 + pretty_lines]  # b0's first line
    first_bad = 3 + 2 * pretty_lines
    assert "field prompt_tokens" in got[first_bad]
    assert "field metadata" in got[first_bad + 1]
    assert "field completion_tokens" in got[first_bad + 2]
    assert "field spend" in got[first_bad + 3]
    assert "fields" in got[first_bad + 4]
    assert len(rejected) == 6 and stats.lines == 9


def test_a_file_that_is_not_utf8_is_rejected_once_and_reading_stops():
    latin1 = csv_bytes([row(user="José")]).decode().encode("latin-1")
    requests, [rej], _ = run(latin1, "x.csv")
    assert requests == [] and rej.line == 0 and "UTF-8" in rej.reason
    many = csv_bytes([row(request_id=f"msg_{i}") for i in range(60)])  # ~300 KB before the bad byte
    requests, [rej], _ = run(many + b"msg_bad,\xff\xfe\n", "x.csv")
    assert 0 < len(requests) <= 60 and "UTF-8" in rej.reason
    requests, [rej], _ = run(b'[{"request_id": "\xff"}]')
    assert requests == [] and rej.line == 0 and "UTF-8" in rej.reason


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_rejected(data):
    requests, [rej], stats = run(data)
    assert requests == [] and rej.line == 0 and "empty" in rej.reason and stats.lines == 0


@pytest.mark.parametrize("data", [b"[]", json.dumps(page([])).encode(), csv_bytes([])])
def test_files_without_rows_are_fine(data):
    requests, rejected, _ = run(data)
    assert requests == [] and rejected == []


def test_json_that_is_not_json_or_too_big_is_rejected_for_the_file(monkeypatch):
    [], [rej], _ = run(b'[{"request_id": "msg_1", "startTime": ')
    assert rej.line == 0 and "malformed JSON" in rej.reason
    monkeypatch.setattr(litellm_common, "MAX_JSON_BYTES", 1000)
    [], [rej], _ = run(json.dumps([SAMPLE]).encode())
    assert rej.line == 0 and "512 MB" in rej.reason


def test_ndjson_with_a_bad_line_keeps_the_others():
    lines = [json.dumps(row(request_id="a")), '{"request_id": "broken', "", json.dumps(row(request_id="b"))]
    requests, [rej], _ = run(("\n".join(lines) + "\n").encode())
    assert [r.dedupe_key for r in requests] == ["litellm:a", "litellm:b"] and rej.line == 2
    requests, [rej], _ = run(("\n".join(lines[1:]) + "\n").encode())  # the bad line first
    assert [r.dedupe_key for r in requests] == ["litellm:b"] and rej.line == 1


def test_spend_stays_exact():
    [req], [], _ = run(json.dumps(row(spend=3e-07)).encode())
    assert req.reported_cost == Decimal("0.0000003")
    [req], [], _ = run(csv_bytes([row(spend="0.1234567890123")]), "x.csv")
    assert req.reported_cost == Decimal("0.1234567890123")
    [req], [], _ = run(json.dumps(row(spend=None)).encode())
    assert req.reported_cost is None


def test_deep_nesting_is_a_file_error_not_a_crash():
    [], [rej], _ = run(b"[" * 5000 + b"]" * 5000)
    assert rej.line == 0 and "malformed JSON" in rej.reason


def test_a_small_json_file_does_not_allocate_the_512_mb_cap():
    import tracemalloc

    tracemalloc.start()
    try:
        run(json.dumps([SAMPLE]).encode())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024 * 1024
