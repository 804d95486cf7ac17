"""Claude Code OpenTelemetry log events, per shared/formats/claude-code-otel.md.

One OTLP ``ExportLogsServiceRequest`` (resourceLogs -> scopeLogs -> logRecords) holds log events of
every kind; only ``claude_code.api_request`` events carry usage, one per API request, and each
becomes a ParsedRequest. A ``claude_code.api_error`` event (a failed attempt: a 429, a 529
overloaded, a 500...; no usage) becomes a ParsedFailure: an error of source otel, never a request
(keyed "otel:" + its request_id, else a hash of what identifies it; labelled by its
``status_code`` and ``error``). Everything else is ignored, never rejected.

- ``requests_from_logs_body``: one decoded body (the OTLP/HTTP receiver and ``parse`` share it);
- ``decode_protobuf_logs``: an ``application/x-protobuf`` body into the same dict shape as JSON
  (it and ``encode_partial_success`` live in otlp_wire, with the rest of the OTLP encoding);
- ``parse`` / ``detect``: files an OpenTelemetry Collector's file exporter writes (one JSON body
  per line), or a file holding one JSON body spread over many lines.

Cache writes without the 5m/1h split (builds before ~2.1.330 send only ``cache_creation_tokens``)
are counted as 1h writes (``UNSPLIT_CACHE_WRITES``). The transcript rule (no split = 5m) rests on
such transcripts predating 1h caching; these builds did write 1h caches (real 2.1.38 transcripts
in samples/spotter hold both kinds), and the one real 2.1.294 capture's own ``cost_usd`` matches
1h prices to the last digit, where 5m would under-price it by 36%. It is still a guess: the
true split is unknown, and ``cost_usd`` is kept as ``reported_cost`` to check a re-price by.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
import hashlib
import re
from typing import BinaryIO

import orjson

from . import otlp_files
from .base import ParsedFailure, ParsedRequest, ParseStats, Rejected, RowError, iso_time
from .checks import MAX_REQUEST_TOKENS as MAX_TOKENS
from .checks import MAX_REQUEST_USD as MAX_COST
from .checks import guarded
from .dimensions import otel_dimensions
from .otlp_files import CHUNK, MAX_LINE
from .otlp_wire import MAX_NUMBER_TEXT, NUMBER, BadEntry, attribute_text, attributes, from_nanos, log_records
from .otlp_wire import attribute_of as _value

# Re-exported ("x as x"): receivers.py (and its tests) call these as otel_logs.<name>.
from .otlp_wire import decode_protobuf_logs as decode_protobuf_logs
from .otlp_wire import encode_partial_success as encode_partial_success

SOURCE = "otel"
EVENT = "claude_code.api_request"  # the log body; the ``event.name`` attribute is "api_request"
ERROR_EVENT = "claude_code.api_error"  # a failed attempt; ``event.name`` "api_error"
SCOPE_MARK = "claude_code"  # in the scope name "com.anthropic.claude_code.events"
UNSPLIT_CACHE_WRITES = "1h"  # see the module docstring
WHOLE = re.compile(r"[0-9]+(\.0*)?", re.ASCII)
# Last, user.id: an anonymous per-install id, not a person, but an API-key user who sets no
# resource attributes sends nothing else; as its own identity an admin can still map it, where
# an empty name would pool every such developer into one.
IDENTITY_ATTRIBUTES = ("user.email", "user.account_uuid", "user.account_id", "developer.id", "user.id")
# Every attribute this module reads (tests/ingest/test_parser_otel_logs_lean.py checks the list against the code):
# a record's other attributes (Claude Code sends ~25) are never put in a dict.
READ_ATTRIBUTES = frozenset({
    *IDENTITY_ATTRIBUTES, "model", "request_id", "session.id", "speed", "event.name", "event.timestamp",
    "event.sequence", "prompt.id", "client_request_id", "input_tokens", "output_tokens", "cache_read_tokens",
    "cache_creation_tokens", "cache_creation_5m_tokens", "cache_creation_1h_tokens", "cost_usd", "cost_usd_micros",
    "status_code", "error", "attempt",
})


def detect(head: bytes, name: str) -> bool:
    """A JSON file of OTLP log bodies: an object with ``resourceLogs`` and a scope or Claude Code mark."""
    if head.lstrip()[:1] != b"{" or b'"resourceLogs"' not in head:
        return False
    return b'"scopeLogs"' in head or b"claude_code" in head or b"claude-code" in head


def parse(
    stream: BinaryIO, name: str, stats: ParseStats, on_bytes: Callable[[int], None] | None = None
) -> Iterator[ParsedRequest | Rejected]:
    """Every api_request event in a file of OTLP/JSON log bodies, one body per line, and a
    Rejected (file, line, reason) for each bad line or record, or metrics body; blank lines are
    skipped. A file that is one body over many lines is read whole (its records' Rejected.line is
    then their ordinal in the body); see otlp_files.bodies.
    """
    for item in otlp_files.bodies(stream, name, stats, on_bytes, "logs", max_line=MAX_LINE, chunk=CHUNK):
        if isinstance(item, Rejected):
            yield item
        else:
            yield from _counted(requests_from_logs_body(item[1], name, item[0]), stats)


def requests_from_logs_body(body: dict, where: str, line: int | None = None) -> Iterator[ParsedRequest | Rejected]:
    """A ParsedRequest for each api_request event in one ExportLogsServiceRequest (as decoded
    JSON, or as ``decode_protobuf_logs`` gives it), and a Rejected for each bad record.

    ``where`` names the origin (file or endpoint) in a Rejected; its line is ``line`` when given,
    else the record's 1-based ordinal in the body (0 for the body as a whole: a malformed
    body, such as a resourceLogs that is not a list, rejects it whole; a bad resource or scope entry
    is one rejected entry). A body without
    ``resourceLogs`` is empty.
    Resource, scope and record attributes all apply; the narrower one wins on a shared key.
    """
    try:
        records = log_records(body)
    except RowError as exc:
        yield Rejected(where, line or 0, str(exc))
        return
    outers: dict[int, tuple[dict, dict, dict | None]] = {}  # per resource and scope: read once, not per record

    def read(item):
        return _request_from_record(item, outers)

    for ordinal, item in enumerate(records, 1):
        if type(item) is BadEntry:
            yield Rejected(where, line or ordinal, item.reason)
            continue
        request = guarded(read, item, where, line or ordinal)
        if request is not None:
            yield request


# --- one body -------------------------------------------------------------------------------


def _request_from_record(item: tuple[dict, str, object], outers: dict | None = None
                         ) -> ParsedRequest | ParsedFailure | None:
    """The request of one (resource + scope attributes, scope name, record), its ParsedFailure
    for an api_error event, or None when it is another event. ``outers`` holds what was read of each
    resource + scope (the attributes read, the dimensions) for the records after the first."""
    outer, scope_name, record = item
    if not isinstance(record, dict):
        raise RowError("logRecords entry is not an object")
    attrs = _read_attributes(record)
    if not _is_api_request(record, attrs, scope_name):
        if _is_event(record, attrs, scope_name, ERROR_EVENT):
            return _failure(_merged(_outer_read(outer, outers)[0], attrs), record)
        return None
    outer_attrs, dimensions = _outer_read(outer, outers)
    request = _request(_merged(outer_attrs, attrs), record)
    # The resource's own attributes (OTEL_RESOURCE_ATTRIBUTES), not the event's copies of them; one dict for
    # the records of a scope (nothing changes it: rows.canonical and checks only read it).
    request.dimensions = dimensions
    return request


def _read_attributes(record: dict) -> dict:
    """{key: raw AnyValue} of the record's attributes that this module reads (READ_ATTRIBUTES), in one pass
    over the list; as otlp_wire.attributes() otherwise (the last of a repeated key wins, entries without a
    string key are skipped, an ``attributes`` that is not a list is a RowError)."""
    entries = record.get("attributes")
    if entries is None:
        return {}
    if type(entries) is not list:
        return attributes(record, "attributes")  # raises its RowError (or reads a list subclass)
    try:  # the usual list of {"key": str, "value": {...}}; a key that is no string is not among READ_ATTRIBUTES
        return {entry["key"]: entry.get("value") for entry in entries if entry["key"] in READ_ATTRIBUTES}
    except (TypeError, KeyError, AttributeError):  # an entry that is no object, has no key, or an unhashable one
        found = {}
        for entry in entries:
            if isinstance(entry, dict):
                key = entry.get("key")
                if isinstance(key, str) and key in READ_ATTRIBUTES:
                    found[key] = entry.get("value")
        return found


def _outer_read(outer: dict, outers: dict | None) -> tuple[dict, dict | None]:
    """(the attributes read of a resource + scope, its dimensions), worked out once per ``outers``."""
    held = outers.get(id(outer)) if outers is not None else None
    if held is None:
        held = (outer, {k: v for k, v in outer.items() if k in READ_ATTRIBUTES}, otel_dimensions(outer))
        if outers is not None:
            outers[id(outer)] = held  # ``outer`` kept in it: its id is not reused while the body is read
    return held[1], held[2]


def _merged(outer_attrs: dict, attrs: dict) -> dict:
    """Resource and scope attributes overlaid by the record's (the narrower one wins)."""
    return {**outer_attrs, **attrs} if outer_attrs else attrs


def _is_api_request(record: dict, attrs: dict, scope_name: str) -> bool:
    """Named in the body (as Claude Code does), in the newer ``eventName`` field, or by the
    ``event.name`` attribute; the short name counts only in Claude Code's own scope."""
    return _is_event(record, attrs, scope_name, EVENT)


def _is_event(record: dict, attrs: dict, scope_name: str, event: str) -> bool:
    """Whether the record is the Claude Code ``event`` (its full name), as _is_api_request says."""
    body = record.get("body")
    names = (  # a tuple, not a set: hostile values may be unhashable
        body.get("stringValue") if isinstance(body, dict) else None,
        record.get("eventName"),
        _raw_string(attrs.get("event.name")),
    )
    if event in names:
        return True
    return event.rsplit(".", 1)[1] in names and SCOPE_MARK in scope_name


def _raw_string(value) -> str | None:
    return value.get("stringValue") if isinstance(value, dict) else None


# --- one api_request event ----------------------------------------------------------------


def _text(attrs: dict, key: str) -> str:
    """otlp_wire.attribute_text, with the usual ``{"stringValue": "..."}`` read directly."""
    value = attrs.get(key)
    if value is None:
        return ""
    if type(value) is dict:
        text = value.get("stringValue")
        if type(text) is str:  # stringValue is the first kind attribute_value looks for: the same answer
            return text
    return attribute_text(attrs, key)


def identity_of(attrs: dict) -> tuple[str, str]:
    """(identity, email) of a record or data point, from its attributes merged with the resource's
    (the narrower one wins on a shared key): the first of IDENTITY_ATTRIBUTES present, and
    ``user.email`` when sent (checks.check refuses either when longer than its column)."""
    email = _text(attrs, "user.email")
    identity = next((value for key in IDENTITY_ATTRIBUTES if (value := _text(attrs, key))), "")
    return identity, email


def _request(attrs: dict, record: dict) -> ParsedRequest:
    model = _text(attrs, "model")
    if not model:
        raise RowError("attribute model is missing")
    request_id = _text(attrs, "request_id")
    input_tokens, output_tokens = _count(attrs, "input_tokens"), _count(attrs, "output_tokens")
    cache_read, cache_write = _count(attrs, "cache_read_tokens"), _count(attrs, "cache_creation_tokens")
    write_5m, write_1h = _cache_writes(attrs, cache_write)
    timestamp = _timestamp(record, attrs)
    identity, email = identity_of(attrs)
    request = ParsedRequest(
        dedupe_key="",
        timestamp=timestamp,
        raw_model=model,
        session_id=_text(attrs, "session.id"),
        request_id=request_id,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_write_5m_tokens=write_5m,
        cache_write_1h_tokens=write_1h,
        cache_read_tokens=cache_read,
        speed=_text(attrs, "speed"),
        reported_cost=_reported_cost(attrs),
        identity=identity,
        email=email,
    )
    request.dedupe_key = f"otel:{request.request_id}" if request.request_id else _derived_key(attrs, request)
    return request


def _failure(attrs: dict, record: dict) -> ParsedFailure:
    """The failed attempt an api_error event records (module docstring)."""
    timestamp = _timestamp(record, attrs)
    identity, email = identity_of(attrs)
    status, error = _label_part(attrs, "status_code"), _label_part(attrs, "error")
    failure = ParsedFailure(
        key="", timestamp=timestamp, raw_model=_text(attrs, "model"),
        error=" ".join(part for part in (status, error) if part)[:60], identity=identity, email=email,
    )
    request_id = _text(attrs, "request_id")
    if request_id:
        failure.key = f"otel:{request_id}"
    else:
        parts = [identity, _text(attrs, "session.id"), _text(attrs, "prompt.id"), str(_value(attrs, "event.sequence")),
                 str(_value(attrs, "attempt")), timestamp.isoformat(), failure.raw_model, failure.error]
        failure.key = "otel:e:" + hashlib.sha1(orjson.dumps(parts)).hexdigest()
    return failure


def _label_part(attrs: dict, key: str) -> str:
    """A label attribute as text (a status code may come as a number); "" for anything else."""
    value = _value(attrs, key)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value).strip()[:60]


def _derived_key(attrs: dict, request: ParsedRequest) -> str:
    """A key for an event without request_id, from what identifies it: who, session, prompt,
    the event's sequence number and time, model and usage. The same event re-sent (an export
    retry, or JSON and protobuf alike) hashes the same; values are compared decoded."""
    parts = [
        request.identity, request.session_id, _text(attrs, "prompt.id"), str(_value(attrs, "event.sequence")),
        _text(attrs, "client_request_id"), request.timestamp.isoformat(), request.raw_model,
        request.input_tokens, request.output_tokens, request.cache_read_tokens,
        request.cache_write_5m_tokens, request.cache_write_1h_tokens,
    ]
    return "otel:h:" + hashlib.sha1(orjson.dumps(parts)).hexdigest()


def _cache_writes(attrs: dict, total: int) -> tuple[int, int]:
    """(5m, 1h) cache writes: the split when the build sends it (the flat total is then
    ignored, a missing half counts 0), else the total, as UNSPLIT_CACHE_WRITES says."""
    if "cache_creation_5m_tokens" in attrs or "cache_creation_1h_tokens" in attrs:
        return _count(attrs, "cache_creation_5m_tokens"), _count(attrs, "cache_creation_1h_tokens")
    return (0, total) if UNSPLIT_CACHE_WRITES == "1h" else (total, 0)


def _count(attrs: dict, key: str) -> int:
    """A token count: an int, a double with a whole value, or a string of digits; 0 when absent."""
    raw = attrs.get(key)
    if type(raw) is dict and len(raw) == 1:  # the usual {"intValue": 412} or {"intValue": "412"}: read directly
        value = raw.get("intValue")
        if type(value) is str and value.isascii() and value.isdigit() and len(value) <= 18:
            value = int(value)
        if type(value) is int and 0 <= value <= MAX_TOKENS:
            return value
    return _count_checked(attrs, key)


def _count_checked(attrs: dict, key: str) -> int:
    """_count for every other shape, with its reasons."""
    value = _value(attrs, key)
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        count = value
    elif isinstance(value, float) and value.is_integer():
        count = int(value)
    elif isinstance(value, str) and len(value) <= MAX_NUMBER_TEXT and WHOLE.fullmatch(value.strip()):
        count = int(Decimal(value.strip()))
    else:
        raise RowError(f"attribute {key} is not a whole number: {str(value)[:40]!r}")
    if not 0 <= count <= MAX_TOKENS:
        raise RowError(f"attribute {key} is out of range: {str(count)[:40]}")
    return count


def _reported_cost(attrs: dict) -> Decimal | None:
    """``cost_usd`` exactly as sent (a double's shortest decimal form, never float arithmetic),
    else ``cost_usd_micros`` / 10**6, else None."""
    raw = attrs.get("cost_usd")
    if type(raw) is dict and len(raw) == 1 and type(raw.get("doubleValue")) is float:  # the usual form
        value = raw["doubleValue"]
    else:
        if "cost_usd" not in attrs and "cost_usd_micros" in attrs:
            return Decimal(_count(attrs, "cost_usd_micros")).scaleb(-6)
        value = _value(attrs, "cost_usd")
    if value is None:
        return None
    if isinstance(value, bool):
        text = ""
    elif isinstance(value, float):
        text = repr(value)  # the shortest string that reads back as this double
    else:
        text = str(value).strip()
    if len(text) > MAX_NUMBER_TEXT or not NUMBER.fullmatch(text):
        raise RowError(f"attribute cost_usd is not a number: {str(value)[:40]!r}")
    cost = Decimal(text)
    if not 0 <= cost <= MAX_COST:
        raise RowError(f"attribute cost_usd is out of range: {text[:40]}")
    return cost


def _timestamp(record: dict, attrs: dict) -> datetime:
    """Aware UTC: the record's timeUnixNano (OTLP writes 0 for unknown), else event.timestamp.
    (Not observedTimeUnixNano: when a collector saw it is no time of the request.)"""
    nanos = record.get("timeUnixNano")
    if nanos not in (None, 0, "0", ""):
        return from_nanos(nanos, "timeUnixNano")
    text = _text(attrs, "event.timestamp")
    if text:
        try:
            return iso_time(text, "attribute event.timestamp").astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:00-05:00, 0001-01-01T00:00+05:00: no UTC time
            raise RowError(f"attribute event.timestamp is out of range: {text[:40]!r}") from None
    raise RowError("field timeUnixNano is missing (and attribute event.timestamp too)")


# --- files ---------------------------------------------------------------------------------


def _counted(items: Iterable[ParsedRequest | Rejected], stats: ParseStats) -> Iterator[ParsedRequest | Rejected]:
    for item in items:
        if isinstance(item, ParsedRequest):
            stats.usage_lines += 1
        yield item
