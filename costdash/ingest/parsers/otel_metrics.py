"""Claude Code OpenTelemetry metrics, per shared/formats/claude-code-otel.md ("Metrics",
"Temporality", "Dedupe").

One OTLP ``ExportMetricsServiceRequest`` (resourceMetrics -> scopeMetrics -> metrics -> sum ->
dataPoints) holds Claude Code's counters, all monotonic Sums. Each data point becomes one record,
placed at its ``timeUnixNano`` (width ""):

- sessions, lines of code, commits, pull requests, edit-tool decisions and active time
  (ACTIVITY) -> ``ParsedActivity``;
- tokens by type and cost in USD (USAGE) -> ``ParsedAggregate`` (model, speed). Counted only for a
  developer-day no per-request source reported (rollups.dedupe), since the api_request log events
  describe the same requests. Cache writes come without a 5m/1h split: they are counted as
  otel_logs counts unsplit writes (UNSPLIT_CACHE_WRITES), with ``cache_split_known`` False.

Who: ``otel_logs.identity_of`` over the point's attributes merged with the resource's.
Key: "otel_metrics:" + a hash of the point's series (metric name and its whole attribute set,
resource included) and its start and end times, so a re-sent batch replaces itself.

Temporality: a DELTA point is the increase itself. A CUMULATIVE point is a running total whose
increase is known only against the series' last stored point, so it comes out as a
``CumulativePoint``; ingest.metric_series turns it into its record inside the writer's transaction.
Gauges, histograms, summaries, non-monotonic sums, other metrics, attribute values outside the
table (a lines ``type`` other than added/removed...) and points flagged "no recorded value" are
ignored, never rejected, and counted by reason in ``ignored``. A DELTA point of 0 adds nothing
and writes no record.

- ``records_from_metrics_body``: one decoded body (the OTLP/HTTP receiver and ``parse`` share it);
- ``decode_protobuf_metrics``: an ``application/x-protobuf`` body into the same dict shape as JSON;
- ``parse`` / ``detect``: collector file-exporter output (otlp_files.bodies).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
import functools
import hashlib
from typing import BinaryIO

import orjson

from . import otlp_files
from .base import ParsedActivity, ParsedAggregate, ParseStats, Record, Rejected, RowError
from .checks import MAX_COUNT, guarded
from .otel_logs import UNSPLIT_CACHE_WRITES, identity_of
from .otlp_wire import (
    MAX_NUMBER_TEXT,
    NUMBER,
    BadEntry,
    attribute_text,
    attribute_value,
    attributes,
    from_nanos,
    metrics,
    nanos_of,
)

# Re-exported ("x as x"): receivers.py calls it as otel_metrics.decode_protobuf_metrics.
from .otlp_wire import decode_protobuf_metrics as decode_protobuf_metrics

SOURCE = "otel_metrics"
DELTA, CUMULATIVE = 1, 2  # aggregationTemporality
NO_RECORDED_VALUE = 1  # the data point flag: the point carries no value
MAX_NANOS = 2**63  # times are stored as bigint (MetricSeries): past the year 2262 is corrupt
CACHE_WRITES = "cache_write_1h_tokens" if UNSPLIT_CACHE_WRITES == "1h" else "cache_write_5m_tokens"
# metric name -> (the attribute that picks the field, or "" for one field; {its value: record field})
ACTIVITY = {
    "claude_code.session.count": ("", {"": "sessions"}),
    "claude_code.lines_of_code.count": ("type", {"added": "lines_added", "removed": "lines_removed"}),
    "claude_code.commit.count": ("", {"": "commits"}),
    "claude_code.pull_request.count": ("", {"": "pull_requests"}),
    "claude_code.code_edit_tool.decision": ("decision", {"accept": "edits_accepted", "reject": "edits_rejected"}),
    "claude_code.active_time.total": ("", {"": "active_seconds"}),
}
USAGE = {
    "claude_code.token.usage": ("type", {
        "input": "input_tokens", "output": "output_tokens", "cacheRead": "cache_read_tokens",
        "cacheCreation": CACHE_WRITES,
    }),
    "claude_code.cost.usage": ("", {"": "reported_cost"}),
}
# Fields that are not whole numbers, and the precision they are stored at (the value is rounded to
# it first, so the increases of a cumulative series add up to its last value exactly).
PLACES = {"active_seconds": Decimal("0.001"), "reported_cost": Decimal("1e-12")}
TOKEN_FIELDS = {"input_tokens", "output_tokens", "cache_read_tokens", CACHE_WRITES}
# One point, or one process's running total (its increases are records, held to checks' bounds).
MAX_TOKENS = Decimal(10**13)
MAX_OTHER = Decimal(MAX_COUNT)  # counts (stored as int), seconds, USD
DETAIL = ("type", "start_type", "tool_name", "decision", "language")  # kept on activity records
KINDS = ("sum", "gauge", "histogram", "exponentialHistogram", "summary")


@dataclass(slots=True)
class CumulativePoint:
    """A CUMULATIVE point: its running total ``value``, and its ``record`` with ``field`` still 0;
    what it adds is known only against its series' stored state (ingest.metric_series)."""

    series: str  # hash of the metric name and attribute set
    start_nanos: int
    time_nanos: int
    value: Decimal
    record: ParsedActivity | ParsedAggregate
    field: str

    def record_of(self, increase: Decimal) -> ParsedActivity | ParsedAggregate:
        """The record, holding ``increase`` instead of the running total."""
        return _holding(self.record, self.field, increase)


def detect(head: bytes, name: str) -> bool:
    """A JSON file of OTLP metric bodies: an object with ``resourceMetrics`` and a scope or Claude
    Code mark. A collector file holding both signals is its first body's: one whose head shows a
    logs body first is left to otel_logs (registered after this parser)."""
    metrics_at, logs_at = head.find(b'"resourceMetrics"'), head.find(b'"resourceLogs"')
    if head.lstrip()[:1] != b"{" or metrics_at < 0 or 0 <= logs_at < metrics_at:
        return False
    return b'"scopeMetrics"' in head or b"claude_code" in head or b"claude-code" in head


def parse(
    stream: BinaryIO, name: str, stats: ParseStats, on_bytes: Callable[[int], None] | None = None
) -> Iterator[Record | CumulativePoint | Rejected]:
    """Every point's record in a file of OTLP/JSON metric bodies (one body per line, or one body
    over many lines), and a Rejected (file, line, reason) for each bad line or point, or logs body
    (see otlp_files). ``stats.usage_lines`` counts the Claude Code points read (a cumulative one
    may yet add nothing)."""
    for item in otlp_files.bodies(stream, name, stats, on_bytes, "metrics"):
        if isinstance(item, Rejected):
            yield item
            continue
        for record in records_from_metrics_body(item[1], name, item[0]):
            if not isinstance(record, Rejected):
                stats.usage_lines += 1
            yield record


def records_from_metrics_body(
    body: dict, where: str, line: int | None = None, ignored: Counter | None = None
) -> Iterator[Record | CumulativePoint | Rejected]:
    """A record (or CumulativePoint) for each Claude Code data point of one ExportMetricsServiceRequest
    (as decoded JSON, or as ``decode_protobuf_metrics`` gives it), and a Rejected for each bad point.

    ``where`` names the origin in a Rejected; its line is ``line`` when given, else the point's
    1-based ordinal among the body's Claude Code sum points (0 for a malformed envelope, which
    rejects the body whole). What is ignored is counted by reason in ``ignored``.
    """
    ignored = Counter() if ignored is None else ignored
    try:
        found = metrics(body)
    except RowError as exc:
        yield Rejected(where, line or 0, str(exc))
        return
    ordinal = 0
    for entry in found:
        if type(entry) is BadEntry:
            ordinal += 1
            yield Rejected(where, line or ordinal, entry.reason)
            continue
        outer, _, metric = entry
        summed = guarded(lambda m: _sum_points(m, ignored), metric, where, line or ordinal + 1)
        if type(summed) is Rejected:
            ordinal += 1
            yield summed
            continue
        name, points, temporality = summed
        for point in points:
            ordinal += 1
            build = functools.partial(_point, name, temporality, outer, ignored=ignored)
            item = guarded(build, point, where, line or ordinal, name)
            if item is not None:
                yield item


# --- one metric ----------------------------------------------------------------------------


def _sum_points(metric, ignored: Counter) -> tuple[str, list, int]:
    """(name, data points, temporality) of a Claude Code monotonic sum; no points for anything
    else (counted in ``ignored``). RowError for a malformed metric."""
    if not isinstance(metric, dict):
        raise RowError("metrics entry is not an object")
    name = metric.get("name") if isinstance(metric.get("name"), str) else ""
    kind = next((k for k in KINDS if isinstance(metric.get(k), dict)), None)
    points = metric[kind].get("dataPoints") or [] if kind else []
    if not isinstance(points, list):
        raise RowError(f"metric {name[:80]}: field dataPoints is not a list")
    if name not in ACTIVITY and name not in USAGE:
        reason = "not a Claude Code metric"
    elif kind != "sum":
        reason = kind or "metric without data"
    elif metric["sum"].get("isMonotonic") is not True:
        reason = "non-monotonic sum"
    else:
        temporality = metric["sum"].get("aggregationTemporality")
        if temporality not in (DELTA, CUMULATIVE) or isinstance(temporality, bool):
            raise RowError(
                f"metric {name}: aggregationTemporality is {str(temporality)[:20]}, not 1 (DELTA) or 2 (CUMULATIVE)"
            )
        return name, points, temporality
    ignored[reason] += len(points)
    return name, [], 0


# --- one data point ------------------------------------------------------------------------


def _point(name: str, temporality: int, outer: dict, point, ignored: Counter):
    """The point's record (DELTA) or CumulativePoint, or None when it is ignored or adds nothing."""
    if not isinstance(point, dict):
        raise RowError("data point is not an object")
    attrs = {**outer, **attributes(point, "attributes")}
    selector, fields = ACTIVITY.get(name) or USAGE[name]
    field = fields.get(attribute_text(attrs, selector) if selector else "")
    if field is None:
        ignored[f"{selector} not one of {', '.join(fields)}"] += 1
        return None
    if isinstance(point.get("flags"), int) and point["flags"] & NO_RECORDED_VALUE:
        ignored["no recorded value"] += 1
        return None
    start, time = _nanos(point, "startTimeUnixNano"), _nanos(point, "timeUnixNano")
    if not time:
        raise RowError("field timeUnixNano is missing")
    value = _amount(point, field)
    series = _series(name, attrs)
    key = "otel_metrics:" + hashlib.sha1(orjson.dumps([series, start, time])).hexdigest()
    record = _record(name, field, key, time, attrs)
    if temporality == CUMULATIVE:
        return CumulativePoint(series, start, time, value, record, field)
    if not value:
        ignored["zero"] += 1
        return None
    return _holding(record, field, value)


def _holding(record: ParsedActivity | ParsedAggregate, field: str, amount: Decimal):
    """``record`` with ``amount`` in ``field`` (an int, unless the field is in PLACES)."""
    setattr(record, field, amount if field in PLACES else int(amount))
    return record


def _nanos(point: dict, field: str) -> int:
    nanos = nanos_of(point.get(field) or 0, field)
    if nanos >= MAX_NANOS:
        raise RowError(f"field {field} is out of range: {nanos}")
    return nanos


def _amount(point: dict, field: str) -> Decimal:
    """The point's value for ``field``: asDouble (its shortest decimal form, never float
    arithmetic) or asInt, as a number or a string; finite, not negative, whole for counts, and
    rounded to PLACES otherwise."""
    which = "asDouble" if "asDouble" in point else "asInt" if "asInt" in point else None
    if which is None:
        raise RowError("data point has no value (asDouble or asInt)")
    raw = point[which]
    if isinstance(raw, float):
        text = repr(raw)  # "nan" and "inf" fail NUMBER below
    elif isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
    else:
        text = raw.strip() if isinstance(raw, str) and len(raw) <= MAX_NUMBER_TEXT else ""
    if not NUMBER.fullmatch(text):
        raise RowError(f"field {which} is not a finite number: {str(raw)[:40]!r}")
    value = Decimal(text)
    if not 0 <= value <= (MAX_TOKENS if field in TOKEN_FIELDS else MAX_OTHER):
        raise RowError(f"field {which} is out of range: {text[:40]}")
    if field in PLACES:
        return value.quantize(PLACES[field])
    if value != value.to_integral_value():
        raise RowError(f"field {which} is not a whole number: {text[:40]}")
    return value.to_integral_value()


def _series(name: str, attrs: dict) -> str:
    """A hash of the metric name and its attribute set (values compared decoded, so JSON and
    protobuf bodies agree)."""
    items = sorted((key, *_plain(value)) for key, value in attrs.items())
    return hashlib.sha1(orjson.dumps([name, items])).hexdigest()


def _plain(value) -> tuple[str, str]:
    """(kind, text) of an attribute value (a malformed one as it came)."""
    try:
        value = attribute_value(value)
    except RowError:
        pass
    return type(value).__name__, value if isinstance(value, str) else repr(value)


def _record(name: str, field: str, key: str, time: int, attrs: dict) -> ParsedActivity | ParsedAggregate:
    """The record of one point, its ``field`` still 0 (set by CumulativePoint.record_of)."""
    identity, email = identity_of(attrs)
    start = from_nanos(time, "timeUnixNano")
    if name in ACTIVITY:
        return ParsedActivity(key=key, start=start, width="", identity=identity, email=email, detail=_detail(attrs))
    model = attribute_text(attrs, "model")
    if not model:
        raise RowError("attribute model is missing")
    return ParsedAggregate(
        key=key, start=start, width="", raw_model=model, identity=identity, email=email,
        speed=attribute_text(attrs, "speed"), cache_split_known=field != CACHE_WRITES,
    )


def _detail(attrs: dict) -> dict:
    """The DETAIL attributes that are strings, cut to 200 characters."""
    detail = {}
    for key in DETAIL:
        try:
            text = attribute_text(attrs, key)
        except RowError:
            continue
        if text:
            detail[key] = text[:200]
    return detail
