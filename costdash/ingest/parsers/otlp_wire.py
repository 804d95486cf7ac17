"""The OTLP encoding shared by logs and metrics: OTLP/JSON values (``AnyValue``, fixed64
nanosecond times), the envelopes (resourceLogs -> scopeLogs -> logRecords, resourceMetrics ->
scopeMetrics -> metrics, with resource and scope attributes), and the OTLP/HTTP protobuf bodies
(decoding an export, encoding the partial-success answer). Nothing here knows what a Claude Code
event or metric means (otel_logs and otel_metrics do).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
import re
from typing import NamedTuple

from .base import RowError

MAX_NUMBER_TEXT = 64  # characters in a number sent as a string
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
SPECIAL_DOUBLES = {"NaN", "Infinity", "-Infinity"}  # how proto3 JSON writes non-finite doubles
ANY_VALUE_KINDS = ("stringValue", "intValue", "doubleValue", "boolValue", "arrayValue", "kvlistValue", "bytesValue")


def attribute_value(value):
    """The Python value of one OTLP ``AnyValue`` (``{"intValue": 9}`` -> 9), or None when empty.

    stringValue -> str; intValue -> int, from a number or a decimal string (protobuf's JSON
    form); doubleValue -> float (or the int a writer left without a fraction; "NaN" and
    "Infinity" strings as floats); boolValue -> bool; arrayValue, kvlistValue and bytesValue
    are returned as their raw inner value. Raises RowError when a value is not of its kind.
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RowError("value is not an AnyValue object")
    kind = next((k for k in ANY_VALUE_KINDS if k in value), None)
    if kind is None:
        return None
    item = value[kind]
    if kind in ("arrayValue", "kvlistValue", "bytesValue"):
        return item
    if kind == "stringValue" and isinstance(item, str) or kind == "boolValue" and isinstance(item, bool):
        return item
    number = isinstance(item, (int, float)) and not isinstance(item, bool)
    text = item.strip() if isinstance(item, str) and len(item) <= MAX_NUMBER_TEXT else ""
    if kind == "intValue" and (number and isinstance(item, int) or INTEGER.fullmatch(text)):
        return int(item)
    if kind == "doubleValue" and number:
        return item
    if kind == "doubleValue" and (text in SPECIAL_DOUBLES or NUMBER.fullmatch(text)):
        return float(text)
    raise RowError(f"{kind} is malformed: {str(item)[:40]!r}")


def attribute_of(attrs: dict, key: str):
    """The Python value of attribute ``key`` of an ``attributes()`` dict, or None; a RowError names it."""
    try:
        return attribute_value(attrs.get(key))
    except RowError as exc:
        raise RowError(f"attribute {key}: {exc}") from None


def attribute_text(attrs: dict, key: str) -> str:
    """A string attribute, "" when absent; RowError when it is another kind."""
    value = attribute_of(attrs, key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowError(f"attribute {key} is not a string")
    return value  # as sent: checks.check refuses an id with a NUL, and strips free text


def nanos_of(value, field: str) -> int:
    """OTLP fixed64 nanoseconds (a number, or a decimal string as protobuf's JSON writes it)."""
    if isinstance(value, str) and len(value) <= MAX_NUMBER_TEXT and INTEGER.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RowError(f"field {field} is not a whole number: {str(value)[:40]!r}")
    if not 0 <= value < 2**64:  # OTLP's fixed64 nanoseconds: up to the year 2554, within datetime's range
        raise RowError(f"field {field} is out of range: {str(value)[:40]}")
    return value


def from_nanos(value, field: str) -> datetime:
    """Aware UTC time of OTLP fixed64 nanoseconds (to the microsecond)."""
    return EPOCH + timedelta(microseconds=nanos_of(value, field) // 1000)


# --- the envelopes -------------------------------------------------------------------------


def log_records(body) -> list[tuple[dict, str, object]]:
    """(resource + scope attributes, scope name, record) for each log record, or a BadEntry for a
    resource or scope entry that cannot be read; RowError for a malformed body."""
    return _envelope(body, "resourceLogs", "scopeLogs", "logRecords")


def metrics(body) -> list[tuple[dict, str, object]]:
    """(resource + scope attributes, scope name, metric) for each metric, or a BadEntry for a
    resource or scope entry that cannot be read; RowError for a malformed body."""
    return _envelope(body, "resourceMetrics", "scopeMetrics", "metrics")


class BadEntry(NamedTuple):
    """A resource or scope entry that could not be read: one rejected entry, never the whole body
    (the entries beside it still count)."""

    reason: str


def _envelope(body, resources: str, scopes: str, leaves: str) -> list[tuple[dict, str, object] | BadEntry]:
    if not isinstance(body, dict):
        raise RowError("body is not a JSON object")
    found: list = []
    for resource_entry in _list(body, resources):
        try:
            resource_attrs, _, scope_entries = _level(resource_entry, resources, "resource", scopes)
        except RowError as exc:
            found.append(BadEntry(f"{resources} entry: {exc}"))
            continue
        for scope_entry in scope_entries:
            try:
                scope_attrs, scope_name, entries = _level(scope_entry, scopes, "scope", leaves)
            except RowError as exc:
                found.append(BadEntry(f"{scopes} entry: {exc}"))
                continue
            outer = {**resource_attrs, **scope_attrs}
            found.extend((outer, scope_name, leaf) for leaf in entries)
    return found


def _level(entry, what: str, inner: str, children: str) -> tuple[dict, str, list]:
    """(attributes, name) of a resource or scope entry's ``resource`` or ``scope``, and its children."""
    if not isinstance(entry, dict):
        raise RowError(f"{what} entry is not an object")
    obj = entry.get(inner) or {}
    if not isinstance(obj, dict):
        raise RowError(f"field {inner} is not an object")
    name = obj.get("name")
    return attributes(obj, f"{inner}.attributes"), name if isinstance(name, str) else "", _list(entry, children)


def _list(obj: dict, key: str) -> list:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RowError(f"field {key} is not a list")
    return value


def attributes(obj: dict, field: str) -> dict:
    """{key: raw AnyValue} of an ``attributes`` list; values are converted only when read, so a
    malformed attribute nobody reads does no harm. Entries without a string key are skipped."""
    entries = obj.get("attributes")
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise RowError(f"field {field} is not a list")
    return {e["key"]: e.get("value") for e in entries if isinstance(e, dict) and isinstance(e.get("key"), str)}


# --- protobuf bodies ---------------------------------------------------------------------------


def decode_protobuf_logs(data: bytes) -> dict:
    """An OTLP/HTTP protobuf ExportLogsServiceRequest as the dict its OTLP/JSON form decodes to
    (camelCase keys, int64 values as decimal strings). One difference, in fields nothing here
    reads: traceId and spanId come out in base64, where OTLP/JSON writes hex.

    Raises ValueError when the bytes are not such a message.
    """
    # Imported here: only the OTLP receiver's protobuf path needs protobuf loaded.
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    return _decoded(ExportLogsServiceRequest(), data)


def decode_protobuf_metrics(data: bytes) -> dict:
    """An OTLP/HTTP protobuf ExportMetricsServiceRequest as the dict its OTLP/JSON form decodes to,
    as decode_protobuf_logs does (asInt and the times as decimal strings, asDouble as a number, or
    "NaN"/"Infinity"). ValueError when the bytes are not such a message."""
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

    return _decoded(ExportMetricsServiceRequest(), data)


def _decoded(message, data: bytes) -> dict:
    from google.protobuf import json_format
    from google.protobuf.message import DecodeError

    try:
        message.ParseFromString(data)
    except DecodeError as exc:
        raise ValueError(f"not an OTLP {type(message).__name__}: {exc}") from None
    # Enums as integers, as OTLP/JSON writes them (aggregationTemporality 1 or 2).
    return json_format.MessageToDict(message, preserving_proto_field_name=False, use_integers_for_enums=True)


def encode_partial_success(rejected: int, message: str, kind: str = "logs") -> bytes:
    """The protobuf Export{Logs,Metrics}ServiceResponse answering an OTLP/HTTP protobuf export
    (``kind`` "logs" or "metrics"): empty on full success, else ``partial_success`` with the
    count of rejected log records (or data points) and the message."""
    from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
    from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2

    if kind == "logs":
        response, field = logs_service_pb2.ExportLogsServiceResponse(), "rejected_log_records"
    elif kind == "metrics":
        response, field = metrics_service_pb2.ExportMetricsServiceResponse(), "rejected_data_points"
    else:
        raise ValueError(f"kind must be 'logs' or 'metrics', not {kind!r}")
    if rejected or message:
        setattr(response.partial_success, field, rejected)
        response.partial_success.error_message = message
    return response.SerializeToString()
