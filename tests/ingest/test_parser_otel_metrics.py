"""Claude Code OTel metrics -> records: each metric's field, JSON and protobuf alike, keys, what is
ignored and what is rejected, and collector files (alone and mixed with logs). Pure: no database."""
from collections import Counter
from decimal import Decimal
import io

import orjson
import pytest

from costdash.ingest.parsers import HEAD_BYTES, claude_code_jsonl, otel_logs, otel_metrics, parser_for
from costdash.ingest.parsers.base import ParsedActivity, ParsedAggregate, ParsedRequest, ParseStats, Rejected
from costdash.ingest.parsers.otel_metrics import CumulativePoint
from tests.ingest.otlp_metrics import CUMULATIVE, at, body, monotonic_sum, nanos, point, protobuf

LINES = "claude_code.lines_of_code.count"
TOKENS = "claude_code.token.usage"
COST = "claude_code.cost.usage"


def records(data, ignored=None):
    return list(otel_metrics.records_from_metrics_body(data, "test", ignored=ignored))


def one(data):
    got = records(data)
    assert len(got) == 1, got
    return got[0]


def test_json_and_protobuf_bodies_give_the_same_records():
    data = body(
        monotonic_sum(LINES, point(12, type="added"), point("7", kind="asInt", type="removed")),
        monotonic_sum(TOKENS, point(1500, model="claude-sonnet-4-6", type="cacheRead", speed="fast")),
        monotonic_sum(COST, point(0.3414, model="claude-sonnet-4-6")),
        monotonic_sum("claude_code.commit.count", point(2), temporality=CUMULATIVE),
    )
    data["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["sum"]["dataPoints"][0]["attributes"].append(
        {"key": "event.sequence", "value": {"intValue": 9}}  # protobuf gives int64 back as "9"
    )
    decoded = otel_metrics.decode_protobuf_metrics(protobuf(data))
    assert decoded["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][3]["sum"]["aggregationTemporality"] == 2
    assert records(decoded) == records(data) and len(records(data)) == 5


@pytest.mark.parametrize(
    "name, value, attrs, field, expected",
    [
        ("claude_code.session.count", 1, {"start_type": "fresh"}, "sessions", 1),
        (LINES, 120, {"type": "added"}, "lines_added", 120),
        (LINES, 30, {"type": "removed"}, "lines_removed", 30),
        ("claude_code.commit.count", 2, {}, "commits", 2),
        ("claude_code.pull_request.count", 1, {}, "pull_requests", 1),
        ("claude_code.code_edit_tool.decision", 5, {"decision": "accept", "tool_name": "Edit"}, "edits_accepted", 5),
        ("claude_code.code_edit_tool.decision", 2, {"decision": "reject", "tool_name": "Write"}, "edits_rejected", 2),
        # seconds are kept to the millisecond (ActivityRecord's precision), rounded half-even
        ("claude_code.active_time.total", 61.2345, {"type": "user"}, "active_seconds", Decimal("61.234")),
    ],
)
def test_each_activity_metric_fills_its_field(name, value, attrs, field, expected):
    record = one(body(monotonic_sum(name, point(value, **attrs))))
    assert isinstance(record, ParsedActivity)
    assert getattr(record, field) == expected and record.start == at() and record.width == ""
    others = {"sessions", "lines_added", "lines_removed", "commits", "pull_requests", "edits_accepted",
              "edits_rejected", "active_seconds"} - {field}
    assert all(not getattr(record, f) for f in others)
    assert record.identity == record.email == "ana@example.com"
    assert set(record.detail) <= set(attrs) and record.detail.get("decision") == attrs.get("decision")


@pytest.mark.parametrize(
    "kind, field",
    [("input", "input_tokens"), ("output", "output_tokens"), ("cacheRead", "cache_read_tokens"),
     ("cacheCreation", "cache_write_1h_tokens")],
)
def test_token_metrics_fill_their_class(kind, field):
    record = one(body(monotonic_sum(TOKENS, point(4000.0, model="claude-opus-4-6", type=kind))))
    assert isinstance(record, ParsedAggregate) and getattr(record, field) == 4000
    assert record.raw_model == "claude-opus-4-6" and record.reported_cost is None
    # the metric has no 5m/1h split: writes count as otel_logs counts unsplit writes (1h), flagged
    assert record.cache_split_known is (kind != "cacheCreation")


def test_cost_metric_is_the_reported_cost_exactly_as_sent():
    record = one(body(monotonic_sum(COST, point(0.30000000000000004, model="claude-sonnet-4-6", speed="fast"))))
    assert record.reported_cost == Decimal("0.300000000000")  # to MONEY's 12 places, never float arithmetic
    assert record.speed == "fast" and record.input_tokens == record.output_tokens == 0


def test_identity_is_picked_as_otel_logs_picks_it():
    point_attrs = {"user__account_uuid": "uuid-1", "developer__id": "ana"}
    record = one(body(monotonic_sum(LINES, point(1, type="added", **point_attrs)), email=""))
    assert (record.identity, record.email) == ("uuid-1", "")
    record = one(body(monotonic_sum(LINES, point(1, type="added", **point_attrs)), email="ana@example.com"))
    assert (record.identity, record.email) == ("ana@example.com", "ana@example.com")  # email first, wherever


def test_keys_repeat_for_a_resent_point_and_differ_by_series_and_time():
    def key(**changes):
        return one(body(monotonic_sum(LINES, point(1, **{"type": "added", **changes})))).key

    assert key() == key() and key().startswith("otel_metrics:")
    assert len({key(), key(time=nanos(60)), key(session__id="s-2"), key(start="1777885000000000000")}) == 4


def test_cumulative_points_wait_for_their_series_state():
    got = one(body(monotonic_sum(LINES, point(25, type="added"), temporality=CUMULATIVE)))
    assert isinstance(got, CumulativePoint) and got.value == 25 and got.record.lines_added == 0
    assert got.record_of(Decimal(15)).lines_added == 15


def test_other_kinds_and_values_are_ignored_and_counted_not_rejected():
    gauge = {"name": LINES, "gauge": {"dataPoints": [point(3)]}}
    histogram = {"name": "claude_code.active_time.total", "histogram": {"dataPoints": [{}, {}]}}
    up_down = monotonic_sum(LINES, point(4, type="added"))
    up_down["sum"]["isMonotonic"] = False
    other = monotonic_sum("http.client.duration", point(1))
    flagged = point(5, type="added")
    flagged["flags"] = 1
    odd_type = point(6, type="modified")
    zero = point(0, type="added")
    ignored = Counter()
    got = records(body(gauge, histogram, up_down, other, monotonic_sum(LINES, flagged, odd_type, zero)), ignored)
    assert got == []
    assert ignored == Counter({"gauge": 1, "histogram": 2, "non-monotonic sum": 1, "not a Claude Code metric": 1,
                               "no recorded value": 1, "type not one of added, removed": 1, "zero": 1})


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"asDouble": "NaN"}, "field asDouble is not a finite number: 'NaN'"),
        ({"asDouble": "Infinity"}, "field asDouble is not a finite number: 'Infinity'"),
        ({"asDouble": -1.0}, "field asDouble is out of range: -1.0"),
        ({"asDouble": 2.5}, "field asDouble is not a whole number: 2.5"),
        ({"asDouble": True}, "field asDouble is not a finite number: 'True'"),
        ({"asDouble": None, "asInt": "12x"}, "field asInt is not a finite number: '12x'"),
        ({"asDouble": 1e12}, "field asDouble is out of range: 1000000000000.0"),
        ({"asDouble": None}, "data point has no value (asDouble or asInt)"),
        ({"timeUnixNano": None}, "field timeUnixNano is missing"),
        ({"timeUnixNano": "soon"}, "field timeUnixNano is not a whole number: 'soon'"),
    ],
)
def test_bad_points_are_rejected_naming_the_field(change, reason):
    bad = point(3, type="added")
    bad.update(change)
    for key in [k for k, v in change.items() if v is None]:
        del bad[key]
    got = records(body(monotonic_sum(LINES, point(1, type="added"), bad)))
    assert isinstance(got[0], ParsedActivity)
    assert got[1] == Rejected("test", 2, f"{LINES}: {reason}")


def test_bad_metrics_and_envelopes_are_rejected():
    no_model = monotonic_sum(TOKENS, point(5, type="input"))
    assert records(body(no_model)) == [Rejected("test", 1, f"{TOKENS}: attribute model is missing")]
    unknown = monotonic_sum(LINES, point(5, type="added"), temporality=0)
    assert records(body(unknown)) == [
        Rejected("test", 1, f"metric {LINES}: aggregationTemporality is 0, not 1 (DELTA) or 2 (CUMULATIVE)")
    ]
    assert records({"resourceMetrics": {"x": 1}}) == [Rejected("test", 0, "field resourceMetrics is not a list")]
    assert records({}) == [] and records({"resourceLogs": []}) == []


# --- files ------------------------------------------------------------------------------------


def parse_bytes(data: bytes, name="metrics.jsonl"):
    parser = parser_for(data[:HEAD_BYTES], name)
    stats = ParseStats()
    return parser, list(parser.parse(io.BytesIO(data), name, stats)), stats


def test_collector_file_is_claimed_before_transcripts_and_bad_lines_name_their_line():
    first = body(monotonic_sum(LINES, point(10, type="added")))
    second = body(monotonic_sum(LINES, point(5, nanos(60), type="added")))
    data = b"\n".join([orjson.dumps(first), b'{"resourceMetrics":[{"scopeMe', orjson.dumps(second)]) + b"\n"
    assert claude_code_jsonl.detect(data, "metrics.jsonl") and not otel_logs.detect(data, "metrics.jsonl")
    parser, got, stats = parse_bytes(data)
    assert parser is otel_metrics
    assert [r.lines_added for r in got if isinstance(r, ParsedActivity)] == [10, 5]
    assert [r for r in got if isinstance(r, Rejected)] == [
        Rejected("metrics.jsonl", 2, "malformed JSON (truncated or invalid line)")
    ]
    assert stats.lines == 3 and stats.usage_lines == 2 and stats.bytes == len(data)


def test_single_body_over_many_lines():
    pretty = orjson.dumps(body(monotonic_sum(LINES, point(10, type="added"))), option=orjson.OPT_INDENT_2)
    parser, got, _ = parse_bytes(pretty, "export.json")
    assert parser is otel_metrics and [r.lines_added for r in got] == [10]


LOGS = {"resourceLogs": [{"scopeLogs": [{"scope": {"name": "com.anthropic.claude_code.events"}, "logRecords": [{
    "timeUnixNano": nanos(), "body": {"stringValue": "claude_code.api_request"},
    "attributes": [{"key": "request_id", "value": {"stringValue": "req_1"}},
                   {"key": "model", "value": {"stringValue": "claude-sonnet-4-6"}},
                   {"key": "output_tokens", "value": {"intValue": 20}}],
}]}]}]}


def test_mixed_collector_file_is_read_as_its_first_body_and_the_other_signal_is_named():
    metrics_line = orjson.dumps(body(monotonic_sum(LINES, point(10, type="added"))))
    logs_first = orjson.dumps(LOGS) + b"\n" + metrics_line + b"\n"
    parser, got, _ = parse_bytes(logs_first, "collector.jsonl")
    assert parser is otel_logs and isinstance(got[0], ParsedRequest)
    assert got[1:] == [Rejected("collector.jsonl", 2, "an OTLP metrics body in a file read as logs (its first "
                                "body): not read; give the collector one file per signal")]
    metrics_first = metrics_line + b"\n" + orjson.dumps(LOGS) + b"\n"
    parser, got, _ = parse_bytes(metrics_first, "collector.jsonl")
    assert parser is otel_metrics and got[0].lines_added == 10
    assert got[1:] == [Rejected("collector.jsonl", 2, "an OTLP logs body in a file read as metrics (its first "
                                "body): not read; give the collector one file per signal")]
