"""Claude Code OTel log events -> requests: the real 2.1.294 capture, its protobuf twin, collector
files, the wire format's number forms and hostile input. Pure: no database."""
import copy
from datetime import UTC, datetime
from decimal import Decimal
import io

import orjson
import pytest

from costdash.ingest.parsers import claude_code_jsonl, otel_logs
from costdash.ingest.parsers.base import ParsedRequest, ParseStats, Rejected
from tests.conftest import SAMPLES

SAMPLE = SAMPLES / "otel" / "a11ign_claude_code_2.1.294_logs_request.json"
REQ = "req_011CfpSK96NthX9vPNsW9X2b"
TIME = "1791447318137000000"  # 2026-10-08T08:15:18.137Z


def sample_body() -> dict:
    return orjson.loads(SAMPLE.read_bytes())


def results(body, where="test"):
    return list(otel_logs.requests_from_logs_body(body, where))


def parse_bytes(data: bytes, name="otel.json"):
    stats = ParseStats()
    return list(otel_logs.parse(io.BytesIO(data), name, stats)), stats


def body_with(attrs: dict, *, resource: dict | None = None, time=TIME, body="claude_code.api_request",
              scope="com.anthropic.claude_code.events", drop=()) -> dict:
    """One api_request record with usual attributes, overridden (or dropped) as a test needs."""
    base = {
        "event.name": {"stringValue": "api_request"},
        "request_id": {"stringValue": "req_test_1"},
        "model": {"stringValue": "claude-sonnet-4-6"},
        "input_tokens": {"intValue": 10},
        "output_tokens": {"intValue": 20},
        "cache_read_tokens": {"intValue": 30},
        "cache_creation_tokens": {"intValue": 40},
        "cost_usd": {"doubleValue": 0.5},
    }
    merged = {k: v for k, v in {**base, **attrs}.items() if k not in drop}
    record = {"timeUnixNano": time, "body": {"stringValue": body},
              "attributes": [{"key": k, "value": v} for k, v in merged.items()]}
    res = {"attributes": [{"key": k, "value": v} for k, v in (resource or {}).items()]}
    return {"resourceLogs": [{"resource": res, "scopeLogs": [{"scope": {"name": scope}, "logRecords": [record]}]}]}


def one(body) -> ParsedRequest | Rejected:
    got = results(body)
    assert len(got) == 1, got
    return got[0]


# --- the real capture ------------------------------------------------------------------------


def test_real_capture_gives_its_one_api_request_exactly():
    (request,) = results(sample_body(), "sample")
    assert request == ParsedRequest(
        dedupe_key=f"otel:{REQ}",
        timestamp=datetime(2026, 10, 8, 8, 15, 18, 137000, tzinfo=UTC),
        raw_model="claude-haiku-5-5",
        session_id="eec3945a-5a85-4c3c-9aa2-39e4b8445cef",
        request_id=REQ,
        input_tokens=2,
        output_tokens=4,
        cache_read_tokens=9179,
        # No 5m/1h split in 2.1.294: taken as 1h writes, which is what its cost_usd matches.
        cache_write_5m_tokens=0,
        cache_write_1h_tokens=13356,
        speed="normal",
        reported_cost=Decimal("0.0027651900000000003"),  # kept exactly as sent
        identity="REDACTED",
        email="REDACTED",
        # The capture's custom resource attributes: chargeback dimensions (parsers/dimensions.py).
        dimensions={"otel": {"org.role": "worker-probe", "org.pane": "probe-pane"}},
    )


def test_real_capture_cost_matches_haiku_5_5_rates_with_1h_writes():
    """pricing.md: Haiku 5.5 at $0.10 input, $0.50 output, $0.01 read, $0.20 1h write per MTok."""
    (r,) = results(sample_body())
    rates = (Decimal("0.10"), Decimal("0.50"), Decimal("0.01"), Decimal("0.20"))
    tokens = (r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_write_1h_tokens)
    cost = sum(n * rate for n, rate in zip(tokens, rates, strict=True)) / 10**6
    assert cost == Decimal("0.00276519")
    assert abs(r.reported_cost - cost) < Decimal("1e-15")


def test_real_capture_file_is_detected_and_parsed():
    data = SAMPLE.read_bytes()
    assert otel_logs.detect(data[:8192], SAMPLE.name)
    got, stats = parse_bytes(data, SAMPLE.name)
    assert got == results(sample_body(), SAMPLE.name)
    assert stats.usage_lines == 1 and stats.bytes == len(data) and stats.lines == 1


def test_protobuf_body_gives_identical_requests():
    from google.protobuf import json_format
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    message = json_format.ParseDict(sample_body(), ExportLogsServiceRequest())
    decoded = otel_logs.decode_protobuf_logs(message.SerializeToString())
    event_sequence = decoded["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"][11]
    assert event_sequence == {"key": "event.sequence", "value": {"intValue": "15"}}  # int64 as a string
    assert results(decoded, "sample") == results(sample_body(), "sample")


def test_protobuf_garbage_is_a_value_error():
    with pytest.raises(ValueError):
        otel_logs.decode_protobuf_logs(b"\xff\xff\xff\xff")
    bad_utf8_key = b"\x0a\x08\x0a\x06\x0a\x04\x0a\x02\xff\xfe"  # resourceLogs.resource.attributes[0].key
    with pytest.raises(ValueError, match="UTF-8"):
        otel_logs.decode_protobuf_logs(bad_utf8_key)


def test_empty_protobuf_message_is_an_empty_body():
    assert otel_logs.decode_protobuf_logs(b"") == {}
    assert results({}) == []


# --- files ------------------------------------------------------------------------------------


def test_collector_file_lands_good_lines_and_rejects_the_broken_one():
    second = body_with({"request_id": {"stringValue": "req_second"}})
    data = orjson.dumps(sample_body()) + b"\n" + b'{"resourceLogs":[{"scopeLo\n' + orjson.dumps(second) + b"\n"
    got, stats = parse_bytes(data, "collector.jsonl")
    requests = [g for g in got if isinstance(g, ParsedRequest)]
    assert [r.dedupe_key for r in requests] == [f"otel:{REQ}", "otel:req_second"]
    assert [g for g in got if isinstance(g, Rejected)] == [
        Rejected("collector.jsonl", 2, "malformed JSON (truncated or invalid line)")
    ]
    assert stats.lines == 3 and stats.usage_lines == 2


def test_collector_file_is_claimed_before_the_transcript_parser():
    data = orjson.dumps(sample_body()) + b"\n"
    assert otel_logs.detect(data, "logs.jsonl")
    assert claude_code_jsonl.detect(data, "logs.jsonl")  # hence otel_logs must be registered first


def test_bad_record_is_rejected_on_its_file_line():
    good = body_with({})
    bad = body_with({"request_id": {"stringValue": "req_bad"}, "output_tokens": {"stringValue": "many"}})
    got, _ = parse_bytes(b"\n".join(orjson.dumps(b) for b in (good, bad)))
    assert isinstance(got[0], ParsedRequest)
    assert got[1] == Rejected("otel.json", 2, "attribute output_tokens is not a whole number: 'many'")


def test_single_body_over_many_lines():
    pretty = orjson.dumps(sample_body(), option=orjson.OPT_INDENT_2)
    assert pretty.count(b"\n") > 100 and otel_logs.detect(pretty[:8192], "export.json")
    got, stats = parse_bytes(b"\n" + pretty + b"\n")
    assert got == results(sample_body(), "otel.json")
    assert stats.usage_lines == 1


def test_broken_first_line_falls_back_to_reading_line_by_line():
    data = b'{"resourceLogs":[\n' + orjson.dumps(body_with({})) + b"\n"
    got, _ = parse_bytes(data)
    assert got[0] == Rejected("otel.json", 1, "malformed JSON (truncated or invalid line)")
    assert isinstance(got[1], ParsedRequest)


def test_detect_refuses_other_formats():
    litellm = (SAMPLES / "litellm" / "litellm_spendlog_example_trimmed.json").read_bytes()
    assert not otel_logs.detect(litellm[:8192], "spend.json")
    for page in (SAMPLES / "admin-api").glob("*.json"):
        assert not otel_logs.detect(page.read_bytes()[:8192], page.name)
    for transcript in (SAMPLES / "claude-code-viewer").rglob("*.jsonl"):
        assert not otel_logs.detect(transcript.read_bytes()[:8192], transcript.name)
    metrics = b'{"resourceMetrics":[{"scopeMetrics":[{"scope":{"name":"com.anthropic.claude_code"}}]}]}'
    assert not otel_logs.detect(metrics, "metrics.json")
    assert not otel_logs.detect(b"", "empty.json")


# --- the wire format's forms -----------------------------------------------------------------


@pytest.mark.parametrize("value", [
    {"intValue": 9179}, {"intValue": "9179"}, {"doubleValue": 9179.0}, {"doubleValue": 9179},
    {"stringValue": "9179"}, {"doubleValue": "9179"},
])
def test_token_counts_accept_int_double_and_numeric_string(value):
    assert one(body_with({"cache_read_tokens": value})).cache_read_tokens == 9179


@pytest.mark.parametrize("value, reason", [
    ({"doubleValue": 1.5}, "attribute cache_read_tokens is not a whole number: '1.5'"),
    ({"stringValue": "lots"}, "attribute cache_read_tokens is not a whole number: 'lots'"),
    ({"boolValue": True}, "attribute cache_read_tokens is not a whole number: 'True'"),
    ({"arrayValue": {"values": []}}, "attribute cache_read_tokens is not a whole number: \"{'values': []}\""),
    ({"intValue": "12abc"}, "attribute cache_read_tokens: intValue is malformed: '12abc'"),
    ({"intValue": True}, "attribute cache_read_tokens: intValue is malformed: 'True'"),
    ({"stringValue": 12}, "attribute cache_read_tokens: stringValue is malformed: '12'"),
    ({"doubleValue": "NaN"}, "attribute cache_read_tokens is not a whole number: 'nan'"),
    ({"intValue": -5}, "attribute cache_read_tokens is out of range: -5"),
    ("9179", "attribute cache_read_tokens: value is not an AnyValue object"),
])
def test_wrong_typed_token_attribute_is_rejected_naming_it(value, reason):
    assert one(body_with({"cache_read_tokens": value})) == Rejected("test", 1, reason)


def test_cost_forms():
    assert one(body_with({"cost_usd": {"intValue": 0}})).reported_cost == Decimal(0)  # exactly 0 comes as int
    assert one(body_with({"cost_usd": {"stringValue": "0.3414"}})).reported_cost == Decimal("0.3414")
    assert one(body_with({"cost_usd": {"doubleValue": 0.1}})).reported_cost == Decimal("0.1")  # not 0.1000000000000000055…
    micros = one(body_with({"cost_usd_micros": {"intValue": 2765}}, drop=("cost_usd",)))
    assert micros.reported_cost == Decimal("0.002765")
    assert one(body_with({}, drop=("cost_usd",))).reported_cost is None
    assert one(body_with({"cost_usd": {"doubleValue": -1.0}})).reason == "attribute cost_usd is out of range: -1.0"
    assert one(body_with({"cost_usd": {"doubleValue": "Infinity"}})).reason == "attribute cost_usd is not a number: 'inf'"


def test_cache_write_split_is_used_when_sent():
    request = one(body_with({"cache_creation_5m_tokens": {"intValue": 15}, "cache_creation_1h_tokens": {"intValue": 25}}))
    assert (request.cache_write_5m_tokens, request.cache_write_1h_tokens) == (15, 25)
    only_5m = one(body_with({"cache_creation_5m_tokens": {"intValue": 40}}))
    assert (only_5m.cache_write_5m_tokens, only_5m.cache_write_1h_tokens) == (40, 0)


def test_identity_prefers_email_then_account_then_resource_tag():
    ana = {"user.email": {"stringValue": "ana@example.com"}, "user.account_uuid": {"stringValue": "uuid-1"}}
    got = one(body_with(ana, resource={"developer.id": {"stringValue": "ana"}}))
    assert (got.identity, got.email) == ("ana@example.com", "ana@example.com")
    got = one(body_with({"user.account_id": {"stringValue": "user_01X"}}))
    assert (got.identity, got.email) == ("user_01X", "")
    got = one(body_with({}, resource={"developer.id": {"stringValue": "ana"}}))
    assert (got.identity, got.email) == ("ana", "")


def test_record_attributes_win_over_resource_attributes():
    got = one(body_with({}, resource={"model": {"stringValue": "from-resource"},
                                      "session.id": {"stringValue": "s-resource"}}))
    assert (got.raw_model, got.session_id) == ("claude-sonnet-4-6", "s-resource")


def test_timestamp_from_event_timestamp_when_time_is_unset():
    got = one(body_with({"event.timestamp": {"stringValue": "2026-10-08T10:15:18.137+02:00"}}, time="0"))
    assert got.timestamp == datetime(2026, 10, 8, 8, 15, 18, 137000, tzinfo=UTC)
    assert got.timestamp.tzinfo is UTC
    assert one(body_with({}, time=None)).reason == "field timeUnixNano is missing (and attribute event.timestamp too)"
    naive = one(body_with({"event.timestamp": {"stringValue": "2026-10-08T08:15:18"}}, time=None))
    assert naive.reason == "attribute event.timestamp has no time zone: '2026-10-08T08:15:18'"
    assert one(body_with({}, time=int(TIME))).timestamp == datetime(2026, 10, 8, 8, 15, 18, 137000, tzinfo=UTC)


def test_missing_request_id_gets_a_stable_derived_key():
    attrs = {"session.id": {"stringValue": "s1"}, "event.sequence": {"intValue": 15}}
    first = one(body_with(attrs, drop=("request_id",)))
    assert first.dedupe_key.startswith("otel:h:") and first.request_id == ""
    as_protobuf_writes_it = one(body_with({**attrs, "event.sequence": {"intValue": "15"}}, drop=("request_id",)))
    assert as_protobuf_writes_it.dedupe_key == first.dedupe_key
    next_event = one(body_with({**attrs, "event.sequence": {"intValue": 16}}, drop=("request_id",)))
    assert next_event.dedupe_key != first.dedupe_key


def test_missing_model_is_rejected():
    assert one(body_with({}, drop=("model",))).reason == "attribute model is missing"


def test_body_without_api_request_events_yields_nothing():
    body = sample_body()
    records = body["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    del records[0]
    assert len(records) == 3 and results(body) == []


def test_how_an_api_request_is_recognised():
    assert one(body_with({}, body="something else")).request_id == "req_test_1"  # by event.name in its scope
    assert results(body_with({}, body="something else", scope="com.example.other")) == []
    named = body_with({}, body="x", scope="other", drop=("event.name",))
    named["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["eventName"] = "claude_code.api_request"
    assert one(named).request_id == "req_test_1"  # by the newer LogRecord.eventName field


def test_malformed_envelope_rejects_the_body_whole():
    assert results({"resourceLogs": {"not": "a list"}}) == [Rejected("test", 0, "field resourceLogs is not a list")]
    assert results([1, 2]) == [Rejected("test", 0, "body is not a JSON object")]
    body = body_with({})
    body["resourceLogs"][0]["scopeLogs"][0]["logRecords"].append("junk")
    assert [type(r) for r in results(body)] == [ParsedRequest, Rejected]


# --- hostile input ---------------------------------------------------------------------------


def test_zero_byte_and_blank_files_yield_nothing():
    assert parse_bytes(b"") == ([], ParseStats())
    got, stats = parse_bytes(b"\n  \n\n")
    assert got == [] and stats.usage_lines == 0


def test_deeply_nested_junk_is_rejected():
    junk = b'{"resourceLogs":' + b"[" * 5000 + b"]" * 5000 + b"}"
    got, _ = parse_bytes(orjson.dumps(body_with({})) + b"\n" + junk + b"\n")
    assert isinstance(got[0], ParsedRequest)
    assert got[1] == Rejected("otel.json", 2, "malformed JSON (truncated or invalid line)")
    odd = body_with({}, body="x", scope="other")
    record = odd["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    record.update(body={"stringValue": ["list"]}, eventName={"a": 1}, attributes=[{"key": "event.name", "value": {"stringValue": {}}}, 7, {"key": 3}])
    assert results(odd) == []  # unhashable, mistyped names and junk attribute entries: just not an api_request
    nested = {"arrayValue": {"values": [{"arrayValue": {"values": []}}]}}
    assert "whole number" in one(body_with({"input_tokens": nested})).reason


def test_huge_numbers_are_rejected_not_overflowed():
    for value in ({"intValue": "9" * 60}, {"intValue": 10**30}, {"doubleValue": 1e308}, {"stringValue": "1" * 40}):
        assert "out of range" in one(body_with({"output_tokens": value})).reason
    assert "malformed" in one(body_with({"output_tokens": {"intValue": "9" * 5000}})).reason
    assert one(body_with({}, time="9" * 40)).reason.startswith("field timeUnixNano is out of range")
    assert one(body_with({}, time="-5")).reason == "field timeUnixNano is out of range: -5"
    assert one(body_with({}, time=1.5)).reason == "field timeUnixNano is not a whole number: '1.5'"
    assert one(body_with({"cost_usd": {"stringValue": "1e400"}})).reason.startswith("attribute cost_usd is out of range")


def test_non_utf8_bytes_are_rejected():
    got, _ = parse_bytes(b'{"resourceLogs":[], "x":"\xff\xfe"}\n' + orjson.dumps(body_with({})))
    assert got[0] == Rejected("otel.json", 1, "malformed JSON (truncated or invalid line)")
    assert isinstance(got[1], ParsedRequest)
    got, _ = parse_bytes(b"\xff\xfe\x00garbage\x00\n")
    assert [type(g) for g in got] == [Rejected]


def test_nul_in_an_id_is_refused_and_free_text_is_made_to_fit():
    got = one(body_with({"model": {"stringValue": "claude\x00-x"}}))
    assert got == Rejected("test", 1, "field raw_model holds a control character (NUL, tab, newline…) or is not valid text")
    got = one(body_with({"session.id": {"stringValue": "s\x00" * 500}}))
    assert got.session_id == "s" * 100  # free text: NUL dropped, cut to its column


def test_overlong_line_is_rejected_without_stopping(monkeypatch):
    monkeypatch.setattr(otel_logs, "MAX_LINE", 1000)
    monkeypatch.setattr(otel_logs, "CHUNK", 64)
    data = orjson.dumps(body_with({})) + b"\n" + b"x" * 5000 + b"\n" + orjson.dumps(body_with({}))
    got, stats = parse_bytes(data)
    assert [type(g) for g in got] == [ParsedRequest, Rejected, ParsedRequest]
    assert got[1].line == 2 and "longer than" in got[1].reason
    assert stats.lines == 3 and stats.bytes == len(data)


def test_retried_export_repeats_the_same_key():
    body = sample_body()
    again = copy.deepcopy(body)
    assert [r.dedupe_key for r in results(body) + results(again)] == [f"otel:{REQ}"] * 2


def test_protobuf_answers_for_the_receiver():
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse

    assert otel_logs.encode_partial_success(0, "", "logs") == b""  # full success: an empty message
    answer = ExportLogsServiceResponse.FromString(otel_logs.encode_partial_success(2, "bad tokens", "logs"))
    assert (answer.partial_success.rejected_log_records, answer.partial_success.error_message) == (2, "bad tokens")
    answer = ExportMetricsServiceResponse.FromString(otel_logs.encode_partial_success(3, "x", "metrics"))
    assert answer.partial_success.rejected_data_points == 3
    with pytest.raises(ValueError):
        otel_logs.encode_partial_success(1, "x", "traces")


def test_an_install_id_is_the_identity_of_last_resort():
    body = {"resourceLogs": [{"resource": {"attributes": []}, "scopeLogs": [{
        "scope": {"name": "com.anthropic.claude_code.events"},
        "logRecords": [{"timeUnixNano": "1767225600000000000", "body": {"stringValue": "claude_code.api_request"},
                        "attributes": [
                            {"key": "event.name", "value": {"stringValue": "api_request"}},
                            {"key": "user.id", "value": {"stringValue": "install-7f3a"}},
                            {"key": "request_id", "value": {"stringValue": "req_x"}},
                            {"key": "model", "value": {"stringValue": "claude-sonnet-4-6"}},
                            {"key": "output_tokens", "value": {"intValue": "5"}},
                        ]}],
    }]}]}
    (request,) = otel_logs.requests_from_logs_body(body, "test")
    assert (request.identity, request.email) == ("install-7f3a", "")
