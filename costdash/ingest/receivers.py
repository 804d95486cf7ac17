"""HTTP receivers for live sources: OTLP/HTTP from Claude Code, and LiteLLM's generic logger.

Each authenticates with an ingest token of its kind (``Authorization: Bearer cdi_…``), refuses
oversized, compressed-bomb, wrongly typed or malformed bodies with a clear 4xx, and writes what
it accepts before answering: one insert of the body as sent, turned into events by a worker in
batches, or in the request without a broker (see received.py).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
import functools
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
import orjson

from costdash.lib.bodies import READ, BodyError, Caps, inflate, raw_pieces, request_body, structure_check

from .failed_calls import failed_calls_label
from .live import ingest_token_check, ingest_token_rate_wait
from .models import IngestToken, ReceivedBody
from .parsers import otel_logs
from .parsers.base import ParsedRequest, Rejected
from .received import deferred, received_now, received_store

log = logging.getLogger(__name__)
MAX_BODY = settings.COSTDASH_BODY_MAX_BYTES  # as sent over the wire (read again per request)
MAX_REJECTED_KEPT = 100  # rejected records of one body held for the answer; the rest are counted
BadBody = BodyError


def body_caps() -> Caps:
    """The bounds of one live body (settings COSTDASH_BODY_*), read per request."""
    return Caps(
        sent=settings.COSTDASH_BODY_MAX_BYTES, inflated=settings.COSTDASH_BODY_MAX_INFLATED_BYTES,
        ratio=settings.COSTDASH_BODY_MAX_RATIO, lines=settings.COSTDASH_BODY_MAX_RECORDS * 10,
        objects=settings.COSTDASH_BODY_MAX_JSON_OBJECTS,
    )


def _token(request: HttpRequest, kind: str) -> IngestToken | None:
    header = request.headers.get("Authorization", "")
    raw = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("X-Costdash-Token", "")
    return ingest_token_check(raw, kind)


def rate_refusal(token: IngestToken) -> JsonResponse | None:
    """Counts the request on its token; past the kind's rate (settings.COSTDASH_INGEST_RATES), the 429 to answer,
    with Retry-After. Checked before the body is read: a flood costs a counter, not a parse."""
    wait = ingest_token_rate_wait(token)
    if wait is None:
        return None
    response = _refuse(429, f"this ingest token sent more than {settings.COSTDASH_INGEST_RATES[token.kind]} "
                            f"requests: send again in {wait} s (batch more records per request)")
    response["Retry-After"] = str(wait)
    return response


def _body(request: HttpRequest, *, json_objects: bool = True) -> bytes:
    """The body within body_caps() (costdash.lib.bodies): size as sent, gzip inflated with size and
    ratio caps checked while inflating, chunked bodies read, and at most so many lines and (unless
    ``json_objects`` is False, for protobuf) JSON objects."""
    caps = body_caps()
    data = request_body(request, caps)
    structure_check(data, caps, objects=json_objects)
    return data


def _wire_body(request: HttpRequest, *, json_objects: bool = True) -> tuple[bytes, str, bytes]:
    """(bytes as sent, "gzip" or "", bytes inflated) within body_caps(), checked as _body does."""
    caps = body_caps()
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("gzip", "identity", ""):
        raise BodyError(415, f"Content-Encoding {encoding!r} is not supported (use gzip or none)")
    sent = b"".join(raw_pieces(request, caps.sent))
    data = inflate((sent[i:i + READ] for i in range(0, len(sent), READ)), caps) if encoding == "gzip" else sent
    structure_check(data, caps, objects=json_objects)
    return sent, "gzip" if encoding == "gzip" else "", data


def take(token: IngestToken, kind: str, sent: bytes, encoding: str, content_type: str, name: str = ""):
    """Store a checked body: with a broker, stored and queued (None: answer at once); without one,
    processed in the request (its received.BodyResult)."""
    if deferred():
        received_store(token, kind, sent, encoding=encoding, content_type=content_type, name=name)
        return None
    return received_now(token, kind, sent, encoding=encoding, content_type=content_type, name=name)


class Bounded:
    """A parser's items, at most ``limit`` of them (else BodyError 413, raised before anything is
    written, as callers list() the items first); only the first MAX_REJECTED_KEPT rejected records
    are passed on, the rest are counted in ``dropped``, so a flood of bad records is not held."""

    def __init__(self, items: Iterable[ParsedRequest | Rejected], limit: int | None = None):
        self.items, self.dropped, self.rejected = items, 0, 0
        self.limit = settings.COSTDASH_BODY_MAX_RECORDS if limit is None else limit

    def __iter__(self) -> Iterator[ParsedRequest | Rejected]:
        for count, item in enumerate(self.items, 1):
            if count > self.limit:
                raise BodyError(413, f"body holds over {self.limit:,} records: send fewer per request")
            if isinstance(item, Rejected):
                self.rejected += 1
                if self.rejected > MAX_REJECTED_KEPT:
                    self.dropped += item.count  # a run of rejected lines is one item of ``count`` lines
                    continue
            yield item


def receiver_endpoint(view):
    """Mark a machine-to-machine receiver (token auth, no session, no page): served through the short
    middleware chain of costdash.ops.wsgi."""
    view.lean_middleware = True
    return view


def guarded(view):
    """One body's outer guard: BodyError is its 4xx; any other error is logged with the view and
    answered 500 with a reason (the body's transaction rolled back: send it again), never a
    bare error page. Per-record errors never get here: they are rejected records."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except BodyError as exc:
            return _refuse(exc.status, str(exc))
        except Exception as exc:
            log.exception("%s: a body could not be stored", request.path)
            return _refuse(500, f"this body could not be stored ({type(exc).__name__}); sending it again is "
                                "safe (records are deduplicated): tell an admin if it keeps failing")

    return wrapper


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
    """((token, (sent, encoding, inflated)), None) for an authorised, size-checked, non-empty request, else
    (None, refusal)."""
    token = _token(request, kind)
    if token is None:
        return None, _refuse(401, f"a valid {label} token is required (Authorization: Bearer cdi_…)")
    if too_many := rate_refusal(token):
        return None, too_many
    try:
        wire = _wire_body(request)
    except BadBody as exc:
        return None, _refuse(exc.status, str(exc))
    if not wire[2].strip():
        return None, _refuse(400, f"empty body: expected {expected}")
    return (token, wire), None


def _otlp(request: HttpRequest, signal: str):
    """((token, (sent, encoding, inflated), is_protobuf), None) of a checked OTLP/HTTP request, or (None, a
    refusal). JSON is parsed and protobuf decoded here, only to refuse a malformed body before it is stored."""
    token = _token(request, IngestToken.Kind.OTLP)
    if token is None:
        return None, _refuse(401, "a valid OTLP ingest token is required (Authorization: Bearer cdi_…)")
    if too_many := rate_refusal(token):
        return None, too_many
    content_type = request.content_type or ""
    try:
        if content_type == "application/json":
            wire = _wire_body(request)
            _json(wire[2])
            return (token, wire, False), None
        if content_type == "application/x-protobuf":
            wire = _wire_body(request, json_objects=False)
            protobuf_check(wire[2], signal)
            return (token, wire, True), None
        raise BadBody(415, f"Content-Type {content_type!r} is not OTLP (application/json or application/x-protobuf)")
    except BadBody as exc:
        return None, _refuse(exc.status, str(exc))


def protobuf_check(data: bytes, signal: str) -> None:
    """Refuse (413) a protobuf body with more messages than COSTDASH_BODY_MAX_PROTOBUF_MESSAGES: decoded,
    each costs ~200 bytes however few bytes it was sent in (2 for an empty one)."""
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

    from costdash.lib.protobuf_count import messages_over

    limit = settings.COSTDASH_BODY_MAX_PROTOBUF_MESSAGES
    request_type = ExportLogsServiceRequest if signal == "logs" else ExportMetricsServiceRequest
    try:
        over = messages_over(data, request_type.DESCRIPTOR, limit)
    except DecodeError as exc:
        raise BadBody(400, f"body is not a valid OTLP protobuf message: {exc}") from None
    if over:
        raise BadBody(413, f"body has over {limit:,} protobuf messages: send fewer per request")
    try:
        request_type.FromString(data)  # the C parser: well-formed, or refused before it is stored
    except Exception as exc:  # protobuf raises DecodeError and others on junk
        raise BadBody(400, f"body is not a valid OTLP protobuf message: {exc}") from None


def _otlp_answer(is_protobuf: bool, rejected: int, message: str, kind: str) -> HttpResponse:
    """An Export*ServiceResponse: empty on full success, partialSuccess otherwise."""
    if is_protobuf:
        return HttpResponse(otel_logs.encode_partial_success(rejected, message, kind),
                            content_type="application/x-protobuf")
    if not rejected:
        return JsonResponse({})
    field = "rejectedLogRecords" if kind == "logs" else "rejectedDataPoints"
    return JsonResponse({"partialSuccess": {field: rejected, "errorMessage": message}})


def _otlp_take(request: HttpRequest, signal: str, kind: str) -> HttpResponse:
    parsed, refusal = _otlp(request, signal)
    if refusal:
        return refusal
    token, (sent, encoding, _), is_protobuf = parsed
    content_type = "application/x-protobuf" if is_protobuf else "application/json"
    result = take(token, kind, sent, encoding, content_type)
    if result is None:  # stored: rejected records are counted on the token's page, not in this answer
        return _otlp_answer(is_protobuf, 0, "", signal)
    outcome = result.live or result.metrics
    message = "; ".join(r.reason for r in outcome.rejected[:5])
    rejected = result.rejected_count if signal == "logs" else len(outcome.rejected)
    return _otlp_answer(is_protobuf, rejected, message, signal)


@receiver_endpoint
@csrf_exempt
@require_POST
@guarded
def otlp_logs(request: HttpRequest) -> HttpResponse:
    """OTLP/HTTP logs: each claude_code.api_request event becomes a usage event (dedupe on request id)."""
    return _otlp_take(request, "logs", ReceivedBody.Kind.OTLP_LOGS)


@receiver_endpoint
@csrf_exempt
@require_POST
@guarded
def otlp_metrics(request: HttpRequest) -> HttpResponse:
    """OTLP/HTTP metrics: Claude Code's counters become activity (sessions, lines of code, commits,
    pull requests, edit decisions, active time) and, for days without per-request data, usage."""
    return _otlp_take(request, "metrics", ReceivedBody.Kind.OTLP_METRICS)


@receiver_endpoint
@csrf_exempt
@require_POST
@guarded
def litellm_callback(request: HttpRequest) -> HttpResponse:
    """LiteLLM's generic API logger (log_format json_array, ndjson or single): each success
    record becomes a usage event, deduplicated on its id with any SpendLogs import of it; each
    failure record (status "failure") a failed call, counted in ``failed`` and never billed.
    With a broker the body is stored and answered {"received": true} at once (ingest.received)."""
    accepted, refusal = accepted_body(request, IngestToken.Kind.LITELLM, "LiteLLM ingest", "LiteLLM logging payloads")
    if refusal:
        return refusal
    token, (sent, encoding, _) = accepted
    body = take(token, ReceivedBody.Kind.LITELLM, sent, encoding, request.content_type or "")
    if body is None:
        return JsonResponse({"received": True})
    result = body.live
    if body.usage_lines == 0 and not result.failed and result.rejected:
        return _refuse(400, "; ".join(r.reason for r in result.rejected[:5]))
    return JsonResponse({
        "accepted": result.new + result.updated + result.duplicates,
        "new": result.new,
        "failed": result.failed,  # failed calls (429, overloaded...): errors, not requests, never billed
        "failed_calls": failed_calls_label(result.failed),
        "rejected": [r.as_dict() for r in result.rejected[:20]],
        "rejected_count": body.rejected_count,
    })
