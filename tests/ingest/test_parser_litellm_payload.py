"""LiteLLM StandardLoggingPayload parser: records built from the real SpendLogs sample (the same
call as a callback logger sends it), epoch times, usage-object-only cache tokens, and the
shared dedupe key with the SpendLogs row of the same request.

Expected classes, worked from the sample (litellm 1.109.1, Sonnet 4.5): 12 uncached input,
48,000 cache read, 3,200 5m write, 0 1h write, 850 output; prompt_tokens 51,212 = 12 + 48,000 +
3,200; response_cost 0.039186 = (12×3 + 48,000×0.30 + 3,200×3.75 + 850×15) / 1e6.
"""
import copy
from datetime import datetime, timezone
from decimal import Decimal
import io
import json

import pytest

from costdash.ingest.parsers import litellm_payload as payload
from costdash.ingest.parsers import litellm_spendlogs as spendlogs
from costdash.ingest.parsers.base import ParsedRequest, ParseStats, Rejected
from tests.conftest import SAMPLES

SAMPLE_ROW = json.loads((SAMPLES / "litellm" / "litellm_spendlog_example_trimmed.json").read_text())
START = datetime.fromisoformat(SAMPLE_ROW["startTime"])  # 2026-11-22T01:44:24.744289+00:00
CLASSES = {"input_tokens": 12, "cache_read_tokens": 48_000, "cache_write_5m_tokens": 3_200,
           "cache_write_1h_tokens": 0, "output_tokens": 850}
TRANSCRIPT = SAMPLES / "claude-code-viewer/mock-global-claude-dir/projects/sample-project/fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl"
OTLP = SAMPLES / "otel" / "a11ign_claude_code_2.1.294_logs_request.json"


def record(**changes) -> dict:
    """The sample call as a StandardLoggingPayload (litellm/types/utils.py field order): epoch
    times, no ``user`` and no top-level cache fields; tokens only in metadata.usage_object."""
    meta = SAMPLE_ROW["metadata"]
    base = {
        "id": SAMPLE_ROW["request_id"], "trace_id": "5a0f", "call_type": "anthropic_messages", "stream": True,
        "response_cost": 0.039186, "cost_breakdown": meta["cost_breakdown"], "status": "success",
        "custom_llm_provider": "anthropic", "total_tokens": 52_062, "prompt_tokens": 51_212,
        "completion_tokens": 850, "startTime": START.timestamp(), "endTime": START.timestamp() + 0.03,
        "completionStartTime": START.timestamp() + 0.03, "response_time": 0.03,
        "model_map_information": meta["model_map_information"], "model": "claude-sonnet-4-5",
        "model_id": "deployment-claude-sonnet-4-5-1", "model_group": "claude-sonnet-4-5", "api_base": "",
        "metadata": {
            "user_api_key_hash": SAMPLE_ROW["api_key"], "user_api_key_alias": "alice-claude-code",
            "user_api_key_user_id": "alice@example.com", "user_api_key_user_email": "alice@example.com",
            "user_api_key_team_id": "team-platform-uuid", "user_api_key_team_alias": "platform",
            "usage_object": meta["usage_object"],
        },
        "cache_hit": None, "cache_key": None, "saved_cache_cost": 0.0, "request_tags": ["claude-code"],
        "end_user": "", "requester_ip_address": "10.0.4.17", "messages": [{"role": "user", "content": "hi"}],
        "response": {}, "error_str": None, "model_parameters": {},
        "hidden_params": {"response_cost": "0.039186", "additional_headers": {}},
        "session_id": SAMPLE_ROW["session_id"],
    }
    return {**copy.deepcopy(base), **changes}


def usage_details(r: dict) -> dict:
    return r["metadata"]["usage_object"]["prompt_tokens_details"]


def run(data: bytes, name: str = "payloads.json"):
    stats = ParseStats()
    items = list(payload.parse(io.BytesIO(data), name, stats))
    requests = [i for i in items if isinstance(i, ParsedRequest)]
    rejected = [i for i in items if isinstance(i, Rejected)]
    return requests, rejected, stats


def ndjson(records) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def classes(request: ParsedRequest) -> dict:
    return {k: getattr(request, k) for k in CLASSES}


SHAPES = {
    "json array (generic_api json_array)": lambda: json.dumps([record()]).encode(),
    "ndjson (generic_api ndjson, GCS)": lambda: ndjson([record()]),
    "one object (S3)": lambda: json.dumps(record()).encode(),
    "one pretty object": lambda: json.dumps(record(), indent=2).encode(),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_every_callback_shape_gives_the_hand_worked_classes(shape):
    data = SHAPES[shape]()
    assert payload.detect(data[:8192], "batch.json") and not spendlogs.detect(data[:8192], "batch.json")
    [r], [], stats = run(data)
    assert classes(r) == CLASSES
    assert r.reported_cost == Decimal("0.039186")
    assert r.timestamp == START and r.timestamp.tzinfo == timezone.utc  # from an epoch float
    assert (r.dedupe_key, r.message_id) == ("litellm:msg_01XyzExample", "msg_01XyzExample")
    assert (r.identity, r.email) == ("alice@example.com", "alice@example.com")
    assert r.session_id == SAMPLE_ROW["session_id"] and r.raw_model == "claude-sonnet-4-5"
    assert (stats.lines, stats.usage_lines, stats.bytes) == (1, 1, len(data))


def test_payload_and_spendlogs_row_of_one_request_share_the_dedupe_key():
    [from_payload], [], _ = run(json.dumps([record()]).encode())
    [from_row] = [i for i in spendlogs.parse(io.BytesIO(json.dumps(SAMPLE_ROW).encode()), "r.json", ParseStats())]
    assert from_payload.dedupe_key == from_row.dedupe_key == "litellm:msg_01XyzExample"
    assert classes(from_payload) == classes(from_row)
    assert from_payload.reported_cost == from_row.reported_cost
    # startTime: an epoch float here, ISO text in the row; the same instant to the microsecond
    assert abs((from_payload.timestamp - from_row.timestamp).total_seconds()) < 1e-5


def test_detect_refuses_other_formats():
    assert not payload.detect(TRANSCRIPT.read_bytes()[:8192], "session.jsonl")
    assert not payload.detect(OTLP.read_bytes()[:8192], "logs.json")
    assert not payload.detect(b"id,response_cost,startTime\n1,0.1,1763775864.7\n", "random.csv")
    assert not payload.detect(json.dumps(SAMPLE_ROW).encode()[:8192], "spendlogs.json")
    assert not payload.detect(b"", "empty.json")


def test_the_developer_is_the_key_owner_never_end_user():
    r = record(end_user="bob@example.com")
    r["metadata"]["user_api_key_user_id"] = "u-7f3a"
    [req], [], _ = run(json.dumps(r).encode())
    assert (req.identity, req.email) == ("u-7f3a", "alice@example.com")
    r = record(end_user="bob@example.com")
    del r["metadata"]["user_api_key_user_id"]
    [req], [], _ = run(json.dumps(r).encode())
    assert req.identity == "alice@example.com"


def test_top_level_cache_fields_are_not_read_only_the_usage_object():
    r = record(cache_read_input_tokens=999, cache_creation_input_tokens=999)  # no such fields in a payload
    usage_details(r)["text_tokens"] = None
    [req], [], _ = run(json.dumps(r).encode())
    assert classes(req) == CLASSES  # 51,212 − 48,000 − 3,200 = 12, from usage_object alone


def test_the_1h_split_and_the_pre_1_78_prompt_tokens():
    r = record(prompt_tokens=48_012)  # <= 1.77: 12 + 48,000, writes not included
    r["metadata"]["usage_object"]["prompt_tokens"] = 48_012
    usage_details(r)["text_tokens"] = None
    usage_details(r)["cache_creation_token_details"].update(ephemeral_5m_input_tokens=200, ephemeral_1h_input_tokens=3_000)
    [req], [], _ = run(json.dumps(r).encode())
    # 1.78 rule: 48,012 − 48,000 − 3,200 < 0, so the old rule: 48,012 − 48,000 = 12
    assert (req.input_tokens, req.cache_write_5m_tokens, req.cache_write_1h_tokens) == (12, 200, 3_000)


def test_no_usage_object_with_prompt_tokens_is_rejected():
    r = record()
    del r["metadata"]["usage_object"]
    [], [rej], _ = run(ndjson([r]))
    assert rej.line == 1 and "metadata.usage_object" in rej.reason


def test_cost_falls_back_to_hidden_params_and_stays_decimal():
    [req], [], _ = run(json.dumps(record(response_cost=None)).encode())
    assert req.reported_cost == Decimal("0.039186")
    [req], [], _ = run(json.dumps(record(response_cost=1.5e-05)).encode())
    assert req.reported_cost == Decimal("0.000015")


def test_anthropic_request_id_from_provider_headers():
    r = record()
    r["hidden_params"]["additional_headers"] = {"llm_provider-request-id": "req_011CfpSK96NthX9vPNsW9X2b"}
    [req], [], _ = run(json.dumps(r).encode())
    assert req.request_id == "req_011CfpSK96NthX9vPNsW9X2b"


def test_cache_hits_and_tokenless_failures_are_skipped():
    zero = dict(prompt_tokens=0, completion_tokens=0, total_tokens=0, response_cost=0.0)
    failed = record(id="chatcmpl-1", status="failure", **zero)
    failed["metadata"]["usage_object"] = None
    requests, rejected, stats = run(ndjson([record(cache_hit=True), failed, record(id="msg_kept")]))
    assert [r.dedupe_key for r in requests] == ["litellm:msg_kept"] and rejected == []
    assert (stats.lines, stats.usage_lines) == (3, 1)


def test_iso_start_times_are_accepted_and_epoch_milliseconds_refused():
    [req], [], _ = run(json.dumps(record(startTime="2026-11-22T01:44:24.744289+00:00")).encode())
    assert req.timestamp == START
    [], [rej], _ = run(json.dumps(record(startTime=START.timestamp() * 1000)).encode())
    assert "field startTime" in rej.reason


def test_bad_records_are_rejected_by_line_naming_the_field_and_good_ones_come_out():
    lines = [
        json.dumps(record(id="msg_a")),
        '{"id": "msg_truncated", "response_cost": 0.1, "startTime": 17',
        json.dumps(["not", "a", "record"]),
        json.dumps(record(id=None)),
        json.dumps(record(prompt_tokens=-1)),
        json.dumps(record(completion_tokens=True)),
        json.dumps(record(response_cost="free")),
        json.dumps(record(metadata=[1, 2])),
        json.dumps(record(startTime=None)),
        "",
        json.dumps(record(model=None, model_group=None)),
        json.dumps(record(id="msg_b")),
    ]
    requests, rejected, stats = run(("\n".join(lines) + "\n").encode(), "batch.ndjson")
    assert [r.dedupe_key for r in requests] == ["litellm:msg_a", "litellm:msg_b"]
    got = {r.line: r.reason for r in rejected}
    expect = {2: "malformed JSON", 3: "not a JSON object", 4: "field id", 5: "field prompt_tokens",
              6: "field completion_tokens", 7: "field response_cost", 8: "field metadata", 9: "field startTime",
              11: "field model"}
    assert set(got) == set(expect)
    for line, fragment in expect.items():
        assert fragment in got[line], (line, got[line])
    assert stats.lines == 11 and stats.usage_lines == 2


def test_unreadable_files_are_rejected_once():
    for data, fragment in [(b"", "empty"), (b'[{"id": "\xff"}]', "UTF-8"), (b"[{]", "malformed JSON")]:
        [], [rej], _ = run(data)
        assert rej.line == 0 and fragment in rej.reason
