"""Hostile edits of OTLP protobuf messages (logs and metrics), made on the message itself so every
body is a valid protobuf whose values are out of range: int64 and uint64 extremes, NaN and the
infinities as doubles, NUL and control characters in strings, duplicated and missing attributes."""
from __future__ import annotations

import re

from google.protobuf import json_format
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2

from tests.fuzz.hostile import TEXTS, floats, texts

INT64 = [-(2**63), -1, 0, 2**31, 2**53 + 1, 10**12, 10**13 + 1, 2**63 - 1]
# uint64 nanoseconds reach 2554-07-21 at most; 2100-01-01 and 2022-12-31 are outside the window too.
UINT64 = [0, 1, 10**18, 2**63, 2**64 - 1, 4102444800 * 10**9, 1672531199 * 10**9]
ATTRIBUTE_KEYS = ["model", "input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens", "cost_usd",
                  "request_id", "event.name", "event.timestamp", "session.id", "user.email", "type", "speed"]
proto_texts = st.one_of(texts, st.sampled_from(TEXTS)).map(
    lambda t: re.sub(r"[\ud800-\udfff]", "?", t)  # protobuf refuses a lone surrogate in a string field
)
int64s = st.one_of(st.sampled_from(INT64), st.integers(-(2**63), 2**63 - 1))
uint64s = st.one_of(st.sampled_from(UINT64), st.integers(0, 2**64 - 1))


def logs_message(body: dict) -> logs_service_pb2.ExportLogsServiceRequest:
    return json_format.ParseDict(body, logs_service_pb2.ExportLogsServiceRequest())


def metrics_message(body: dict) -> metrics_service_pb2.ExportMetricsServiceRequest:
    return json_format.ParseDict(body, metrics_service_pb2.ExportMetricsServiceRequest())


def _set_any(draw, value) -> None:
    """Give an AnyValue a hostile value of a drawn kind."""
    kind = draw(st.sampled_from(["string", "int", "double", "bool", "bytes", "array", "empty"]))
    if kind == "string":
        value.string_value = draw(proto_texts)
    elif kind == "int":
        value.int_value = draw(int64s)
    elif kind == "double":
        value.double_value = draw(floats)
    elif kind == "bool":
        value.bool_value = draw(st.booleans())
    elif kind == "bytes":
        value.bytes_value = draw(st.binary(max_size=32))
    elif kind == "array":
        value.array_value.values.add().int_value = draw(int64s)
    else:
        value.Clear()


def _edit_attributes(draw, attributes) -> None:
    action = draw(st.sampled_from(["value", "value", "add", "delete"]))
    if action == "value" and len(attributes):
        _set_any(draw, attributes[draw(st.integers(0, len(attributes) - 1))].value)
    elif action == "delete" and len(attributes):
        del attributes[draw(st.integers(0, len(attributes) - 1))]
    else:  # a key again (a duplicate the receiver must settle), or a junk one
        added = attributes.add()
        added.key = draw(st.one_of(st.sampled_from(ATTRIBUTE_KEYS), proto_texts))
        _set_any(draw, added.value)


@st.composite
def mutated_logs(draw, message, max_edits: int = 3):
    """A copy of an ExportLogsServiceRequest with hostile edits to its log records."""
    message = type(message).FromString(message.SerializeToString())
    records = [r for rl in message.resource_logs for sl in rl.scope_logs for r in sl.log_records]
    for _ in range(draw(st.integers(1, max_edits))):
        record = records[draw(st.integers(0, len(records) - 1))]
        field = draw(st.sampled_from(["attributes", "attributes", "attributes", "time", "observed", "body"]))
        if field == "attributes":
            _edit_attributes(draw, record.attributes)
        elif field == "time":
            record.time_unix_nano = draw(uint64s)
        elif field == "observed":
            record.observed_time_unix_nano = draw(uint64s)
        else:
            _set_any(draw, record.body)
    return message


@st.composite
def mutated_metrics(draw, message, max_edits: int = 3):
    """A copy of an ExportMetricsServiceRequest with hostile edits to its sums' points."""
    message = type(message).FromString(message.SerializeToString())
    metrics = [m for rm in message.resource_metrics for sm in rm.scope_metrics for m in sm.metrics]
    for _ in range(draw(st.integers(1, max_edits))):
        metric = metrics[draw(st.integers(0, len(metrics) - 1))]
        points = metric.sum.data_points
        point = points[draw(st.integers(0, len(points) - 1))]
        field = draw(st.sampled_from(["value", "value", "attributes", "time", "start", "temporality", "name"]))
        if field == "value" and draw(st.booleans()):
            point.as_double = draw(floats)
        elif field == "value":
            point.as_int = draw(int64s)
        elif field == "attributes":
            _edit_attributes(draw, point.attributes)
        elif field == "time":
            point.time_unix_nano = draw(uint64s)
        elif field == "start":
            point.start_time_unix_nano = draw(uint64s)
        elif field == "temporality":
            metric.sum.aggregation_temporality = draw(st.integers(0, 5))
        else:
            metric.name = draw(st.one_of(proto_texts, st.sampled_from(["claude_code.token.usage"])))
    return message
