"""HTTP receivers for live sources: OTLP/HTTP from Claude Code, and LiteLLM's generic logger.

Each authenticates with an ingest token of its kind (``Authorization: Bearer cdi_…``), refuses
oversized, compressed-bomb, wrongly typed or malformed bodies with a clear 4xx, and writes what
it accepts before answering (see live.py).
"""
from __future__ import annotations

import io
import zlib

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
import orjson

from .live import ingest_token_check, live_records_write
from .live_metrics import live_metrics_write
from .models import IngestToken
from .parsers import litellm_payload, otel_logs, otel_metrics
from .parsers.base import ParseStats

MAX_BODY = 5 * 1024 * 1024  # as sent over the wire
MAX_INFLATED = 50 * 1024 * 1024  # after gzip: a bomb is refused, not expanded


class BadBody(ValueError):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _token(request: HttpRequest, kind: str) -> IngestToken | None:
    header = request.headers.get("Authorization", "")
    raw = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("X-Costdash-Token", "")
    return ingest_token_check(raw, kind)


def _body(request: HttpRequest) -> bytes:
    length = int(request.headers.get("Content-Length") or 0)
    if length > MAX_BODY:
        raise BadBody(413, f"body of {length:,} bytes is over the {MAX_BODY:,}-byte limit")
    data = request.read(MAX_BODY + 1)
    if len(data) > MAX_BODY:
        raise BadBody(413, f"body is over the {MAX_BODY:,}-byte limit")
    encoding = request.headers.get("Content-Encoding", "identity").lower()
    if encoding == "gzip":
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            data = inflater.decompress(data, MAX_INFLATED + 1)
        except zlib.error as exc:
            raise BadBody(400, f"body is not valid gzip: {exc}") from None
        if len(data) > MAX_INFLATED or inflater.unconsumed_tail:
            raise BadBody(413, f"body inflates past the {MAX_INFLATED:,}-byte limit")
    elif encoding not in ("identity", ""):
        raise BadBody(415, f"Content-Encoding {encoding!r} is not supported (use gzip or none)")
    return data


def _json(data: bytes) -> dict:
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BadBody(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadBody(400, "body must be a JSON object")
    return body


def _refuse(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def accepted_body(request: HttpRequest, kind: str, label: str, expected: str):
    """((token, body), None) for an authorised, size-checked, non-empty request, else (None, refusal)."""
    token = _token(request, kind)
    if token is None:
        return None, _refuse(401, f"a valid {label} token is required (Authorization: Bearer cdi_…)")
    try:
        data = _body(request)
    except BadBody as exc:
        return None, _refuse(exc.status, str(exc))
    if not data.strip():
        return None, _refuse(400, f"empty body: expected {expected}")
    return (token, data), None


def _otlp(request: HttpRequest, signal: str):
    """(decoded body, is_protobuf) of an OTLP/HTTP request, or a refusal."""
    token = _token(request, IngestToken.Kind.OTLP)
    if token is None:
        return None, _refuse(401, "a valid OTLP ingest token is required (Authorization: Bearer cdi_…)")
    content_type = request.content_type or ""
    try:
        data = _body(request)
        if content_type == "application/json":
            return (token, _json(data), False), None
        if content_type == "application/x-protobuf":
            decode = otel_logs.decode_protobuf_logs if signal == "logs" else otel_metrics.decode_protobuf_metrics
            try:
                return (token, decode(data), True), None
            except Exception as exc:  # protobuf raises DecodeError and others on junk
                raise BadBody(400, f"body is not a valid OTLP protobuf message: {exc}") from None
        raise BadBody(415, f"Content-Type {content_type!r} is not OTLP (application/json or application/x-protobuf)")
    except BadBody as exc:
        return None, _refuse(exc.status, str(exc))


def _otlp_answer(is_protobuf: bool, rejected: int, message: str, kind: str) -> HttpResponse:
    """An Export*ServiceResponse: empty on full success, partialSuccess otherwise."""
    if is_protobuf:
        return HttpResponse(otel_logs.encode_partial_success(rejected, message, kind),
                            content_type="application/x-protobuf")
    if not rejected:
        return JsonResponse({})
    field = "rejectedLogRecords" if kind == "logs" else "rejectedDataPoints"
    return JsonResponse({"partialSuccess": {field: rejected, "errorMessage": message}})


@csrf_exempt
@require_POST
def otlp_logs(request: HttpRequest) -> HttpResponse:
    """OTLP/HTTP logs: each claude_code.api_request event becomes a usage event (dedupe on request id)."""
    parsed, refusal = _otlp(request, "logs")
    if refusal:
        return refusal
    token, body, is_protobuf = parsed
    result = live_records_write(token, otel_logs.SOURCE, otel_logs.requests_from_logs_body(body, "/v1/logs"))
    message = "; ".join(r.reason for r in result.rejected[:5])
    return _otlp_answer(is_protobuf, len(result.rejected), message, "logs")


@csrf_exempt
@require_POST
def otlp_metrics(request: HttpRequest) -> HttpResponse:
    """OTLP/HTTP metrics: Claude Code's counters become activity (sessions, lines of code, commits,
    pull requests, edit decisions, active time) and, for days without per-request data, usage."""
    parsed, refusal = _otlp(request, "metrics")
    if refusal:
        return refusal
    token, body, is_protobuf = parsed
    result = live_metrics_write(token, body, "/v1/metrics")
    message = "; ".join(r.reason for r in result.rejected[:5])
    return _otlp_answer(is_protobuf, len(result.rejected), message, "metrics")


@csrf_exempt
@require_POST
def litellm_callback(request: HttpRequest) -> HttpResponse:
    """LiteLLM's generic API logger (log_format json_array, ndjson or single): each success
    record becomes a usage event, deduplicated on its id with any SpendLogs import of it."""
    accepted, refusal = accepted_body(request, IngestToken.Kind.LITELLM, "LiteLLM ingest", "LiteLLM logging payloads")
    if refusal:
        return refusal
    token, data = accepted
    stats = ParseStats()
    result = live_records_write(
        token, litellm_payload.SOURCE, litellm_payload.parse(io.BytesIO(data), "litellm callback", stats)
    )
    if stats.usage_lines == 0 and result.rejected:
        return _refuse(400, "; ".join(r.reason for r in result.rejected[:5]))
    return JsonResponse({
        "accepted": result.new + result.updated + result.duplicates,
        "new": result.new,
        "rejected": [r.as_dict() for r in result.rejected[:20]],
    })
