"""Helpers for OTel metrics tests: OTLP/JSON metric bodies as Claude Code sends them."""
from datetime import UTC, datetime

from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2

DELTA, CUMULATIVE = 1, 2
START = "1777885900000000000"  # 2026-05-04T09:11:40Z, the process start
NOON = 1777896000  # 2026-05-04T12:00:00Z, in seconds


def nanos(seconds_after_noon: int = 0) -> str:
    """A time on 2026-05-04 (UTC) as OTLP writes it: decimal-string nanoseconds."""
    return str((NOON + seconds_after_noon) * 10**9)


def at(seconds_after_noon: int = 0) -> datetime:
    return datetime.fromtimestamp(NOON + seconds_after_noon, UTC)


def point(value, time=None, start=START, kind="asDouble", **attrs) -> dict:
    """A data point; attrs are string attributes (keys with "." written as "__")."""
    return {
        "startTimeUnixNano": start, "timeUnixNano": time or nanos(), kind: value,
        "attributes": [{"key": k.replace("__", "."), "value": {"stringValue": v}} for k, v in attrs.items()],
    }


def monotonic_sum(name: str, *points, temporality=DELTA) -> dict:
    return {"name": name, "unit": "1",
            "sum": {"aggregationTemporality": temporality, "isMonotonic": True, "dataPoints": list(points)}}


def body(*metrics, email="ana@example.com", **resource) -> dict:
    """One ExportMetricsServiceRequest; the identity (and any other resource attributes) on the resource."""
    attrs = {"service.name": "claude-code", **({"user.email": email} if email else {}), **resource}
    return {"resourceMetrics": [{
        "resource": {"attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()]},
        "scopeMetrics": [{"scope": {"name": "com.anthropic.claude_code", "version": "2.1.330"},
                          "metrics": list(metrics)}],
    }]}


def protobuf(data: dict) -> bytes:
    return json_format.ParseDict(data, metrics_service_pb2.ExportMetricsServiceRequest()).SerializeToString()
