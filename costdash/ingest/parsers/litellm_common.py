"""What both LiteLLM formats share (litellm_spendlogs: SpendLogs rows; litellm_payload: logging
payloads), per shared/formats/litellm.md: one request from a row's keys, the field checks, and the
JSON reader (an array, one document, or NDJSON).

Tokens, ``usage`` being metadata.usage_object (1.75 on), else metadata.additional_usage_values
(all 1.65 had); ``details`` its prompt_tokens_details:
- reads: usage.cache_read_input_tokens, else details.cached_tokens;
- writes: usage.cache_creation_input_tokens, else details.cache_creation_tokens / cache_write_tokens;
  split by details.cache_creation_token_details.ephemeral_5m/1h_input_tokens when present (any
  part of the total the split leaves out counts as 5m), else all 5m (the spec's approximate case);
- uncached input: details.text_tokens when it is a number; else prompt_tokens − reads − writes
  (LiteLLM ≥ 1.78 counts both in prompt_tokens); if that is negative the row is from ≤ 1.77
  (prompt_tokens = input + reads), so prompt_tokens − reads; if that is negative too, rejected.
  Rows do not carry the proxy version, so an old row whose input exceeds its writes is read the
  1.78 way; Claude Code's uncached input is tiny beside its writes, so the sign decides right.
- a row with prompt tokens and no usage object is rejected: its cache tokens are hidden inside
  prompt_tokens, and pricing them all as input would overstate it several times over.

Failed calls: a row whose ``status`` is set and is not "success" ("failure": a 429, a 529
overloaded, a 500, a prompt too long) is a ParsedFailure, never a request, whatever its
``prompt_tokens`` say: LiteLLM writes its own estimate of the request's messages there, with
``spend`` 0 and ``completion_tokens`` 0, and pricing that estimate bills a call nobody was billed
for. Its label is metadata.error_information's (the payload's error_information's) error_code
and error_class. Exception: a failed row LiteLLM itself charged (``spend`` > 0: a stream broken
after the provider billed its first chunks, whose usage LiteLLM recovers) is the request it was.
A row without ``status`` (LiteLLM before 1.75) is read as a success.

Skipped, as not billable: LiteLLM response-cache hits (``cache_hit`` "True", or a request_id with
``_cache_hit<epoch>``: no provider call was made) and rows with no tokens at all (most failures;
file, batch, vector-store and MCP management calls). A row with no tokens but a cost > 0 is
rejected, so money costdash cannot price is seen. ``_batch_cost`` rows are batch-priced.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
import functools
import io
import re
from typing import BinaryIO

from . import json_reader
from .base import ParsedFailure, ParsedRequest, ParseStats, Rejected, RowError
from .checks import count as count  # re-exported: the shared whole-number reader
from .checks import money as money  # re-exported: the shared money reader
from .dimensions import litellm_dimensions
from .json_reader import loads as loads  # re-exported: the JSON reader with the standard library's fallback

MAX_JSON_BYTES = 512 * 1024 * 1024  # one JSON document; more is refused (read past this, it stops)
TOO_BIG = "JSON file is larger than 512 MB; split it (e.g. one page per file)"
EMPTY = "file is empty"
WS, BOM = b" \t\r\n", b"\xef\xbb\xbf"
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
EPOCH_TEXT = re.compile(r"\s*\d+(\.\d+)?\s*")
START_TIME = re.compile(rb'"startTime"\s*:\s*(["\d])')  # the first one: text in SpendLogs rows, a number in payloads
SPLIT = "usage.prompt_tokens_details.cache_creation_token_details."


# --- One request from a SpendLogs row or a logging payload (they share these keys) -------------


def litellm_request(
    row: dict, metadata: dict, *, key_field: str, cost: Decimal | None, cost_field: str, identity: str,
    text: bool = False,
) -> ParsedRequest | ParsedFailure | None:
    """The request a row describes, its ParsedFailure when the call failed, or None when it is
    not a billable call (module docstring).

    ``key_field`` names the row's id, ``cost_field`` where ``cost`` came from; ``text``: numbers
    arrive as CSV text. Raises RowError naming the field that is missing, mistyped or absurd.
    """
    row_id = text_field(row.get(key_field), key_field)
    if not row_id:
        raise RowError(f"field {key_field} is missing")
    if len(row_id) > 190:  # "litellm:" + id must fit the 200-character key; no real id is this long
        raise RowError(f"field {key_field} is too long ({len(row_id)} characters)")
    if failed(row) and not cost:
        return _failure(row, metadata, row_id, identity)
    if "_cache_hit" in row_id or str(row.get("cache_hit")).strip().lower() == "true":
        return None  # LiteLLM answered from its own response cache: no provider call, no bill
    usage = metadata.get("usage_object")
    usage = usage if isinstance(usage, dict) else metadata.get("additional_usage_values")
    usage = usage if isinstance(usage, dict) else None
    tokens = _tokens(row, usage, text)
    if not any(tokens):
        if cost:
            raise RowError(f"field {cost_field} is {cost} but the row has no tokens: not a token-priced call")
        return None
    model = text_field(row.get("model"), "model") or text_field(row.get("model_group"), "model_group")
    if not model:
        raise RowError("field model is missing")
    if row.get("startTime") in (None, ""):
        raise RowError("field startTime is missing")
    usage = usage or {}
    tier = loose_text(usage, "service_tier")
    email = identity if is_email(identity) else loose_text(metadata, "user_api_key_user_email")
    tools = usage.get("server_tool_use")
    project = loose_text(metadata, "user_api_key_project_alias") or loose_text(metadata, "user_api_key_project_id")
    return ParsedRequest(
        dedupe_key="litellm:" + row_id,
        timestamp=timestamp(row["startTime"], "startTime"),
        raw_model=model,
        session_id=text_field(row.get("session_id"), "session_id"),
        project=project,
        request_id=_anthropic_request_id(row, metadata),
        message_id=row_id if row_id.startswith("msg_") and len(row_id) <= 100 else "",
        input_tokens=tokens[0],
        cache_write_5m_tokens=tokens[1],
        cache_write_1h_tokens=tokens[2],
        cache_read_tokens=tokens[3],
        output_tokens=tokens[4],
        web_search_requests=_count_in(tools, "web_search_requests", "usage.server_tool_use."),
        service_tier=tier,
        is_batch=tier == "batch" or row_id.endswith("_batch_cost"),
        speed=loose_text(usage, "speed"),
        inference_geo=loose_text(usage, "inference_geo"),
        reported_cost=cost,
        identity=identity,
        email=email if is_email(email) else "",
        dimensions=litellm_dimensions(row, metadata),
    )


def failed(row: dict) -> bool:
    """Whether the row's ``status`` names a failed call: set, and not "success" (any case)."""
    status = row.get("status")
    return isinstance(status, str) and status.strip().lower() not in ("", "success")


def _failure(row: dict, metadata: dict, row_id: str, identity: str) -> ParsedFailure:
    """The failed call a row describes (module docstring): who, when, which model, and why."""
    if row.get("startTime") in (None, ""):
        raise RowError("field startTime is missing")
    model = text_field(row.get("model"), "model") or text_field(row.get("model_group"), "model_group")
    email = identity if is_email(identity) else loose_text(metadata, "user_api_key_user_email")
    return ParsedFailure(
        key="litellm:" + row_id,
        timestamp=timestamp(row["startTime"], "startTime"),
        raw_model=model,
        error=_error_label(row, metadata),
        identity=identity,
        email=email if is_email(email) else "",
    )


def _error_label(row: dict, metadata: dict) -> str:
    """ "429 RateLimitError" from error_information (SpendLogs: in metadata; payloads: top level),
    else the status itself ("failure"). Only a label: anything unexpected is left out."""
    for holder in (metadata, row):
        info = holder.get("error_information")
        if isinstance(info, dict):
            parts = (info.get("error_code"), info.get("error_class"))
            label = " ".join(str(p).strip() for p in parts if isinstance(p, str | int) and str(p).strip())
            if label:
                return label[:60]
    return str(row.get("status")).strip()[:60]


def _tokens(row: dict, usage: dict | None, text: bool) -> tuple[int, int, int, int, int]:
    """(uncached input, 5m writes, 1h writes, cache reads, output), by the module docstring's rule."""
    prompt = _column_count(row, usage, "prompt_tokens", text)
    output = _column_count(row, usage, "completion_tokens", text)
    if usage is None:
        if prompt:
            raise RowError("field metadata.usage_object is missing: the cache tokens inside prompt_tokens are unknown")
        return 0, 0, 0, 0, output
    details = usage.get("prompt_tokens_details")
    details = details if isinstance(details, dict) else {}
    detail = "usage.prompt_tokens_details."
    reads = count(usage.get("cache_read_input_tokens"), "usage.cache_read_input_tokens")
    reads = _count_in(details, "cached_tokens", detail) if reads is None else reads
    writes = count(usage.get("cache_creation_input_tokens"), "usage.cache_creation_input_tokens")
    if writes is None:
        writes = _count_in(details, "cache_creation_tokens", detail) or _count_in(details, "cache_write_tokens", detail)
    write_5m, write_1h = writes, 0
    split = details.get("cache_creation_token_details")
    if isinstance(split, dict) and any(split.get(f"ephemeral_{t}_input_tokens") is not None for t in ("5m", "1h")):
        write_1h = _count_in(split, "ephemeral_1h_input_tokens", SPLIT)
        write_5m = max(_count_in(split, "ephemeral_5m_input_tokens", SPLIT), writes - write_1h)
    uncached = count(details.get("text_tokens"), detail + "text_tokens")
    if uncached is None:
        uncached = uncached_input(prompt, reads, write_5m + write_1h)
    return uncached, write_5m, write_1h, reads, output


def uncached_input(prompt: int, reads: int, writes: int) -> int:
    """The uncached input inside LiteLLM's ``prompt_tokens`` (the §3 trap, module docstring):
    prompt − reads − writes (≥ 1.78), else prompt − reads (≤ 1.77); RowError if both are negative."""
    uncached = prompt - reads - writes  # LiteLLM >= 1.78
    if uncached < 0:
        uncached = prompt - reads  # LiteLLM <= 1.77: the writes were not in prompt_tokens
    if uncached < 0:
        raise RowError(f"field prompt_tokens ({prompt}) is less than the cache reads ({reads})")
    return uncached


def _column_count(row: dict, usage: dict | None, field: str, text: bool) -> int:
    """A top-level count, else the usage object's; a row with neither lacks the field."""
    value = count(row.get(field), field, text)
    if value is None and field not in row and (usage is None or field not in usage):
        raise RowError(f"field {field} is missing")
    return _count_in(usage, field, "usage.") if value is None else value


def _count_in(holder, key: str, prefix: str) -> int:
    return (count(holder.get(key), prefix + key) or 0) if isinstance(holder, dict) else 0


def _anthropic_request_id(row: dict, metadata: dict) -> str:
    """Anthropic's ``req_…``, which LiteLLM keeps among the provider's headers when it has them."""
    for holder in (row, metadata):
        hidden = holder.get("hidden_params")
        headers = hidden.get("additional_headers") if isinstance(hidden, dict) else None
        for header in ("llm_provider-request-id", "request-id") if isinstance(headers, dict) else ():
            value = headers.get(header)
            if isinstance(value, str) and value.startswith("req_") and len(value) <= 100:
                return value
    return ""


# --- Field values --------------------------------------------------------------------------------


def text_field(value, field: str) -> str:
    """A text column, stripped of surrounding blanks: "" for null, RowError for a non-string
    (checks.check refuses one that does not fit its column)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowError(f"field {field} is not a string")
    return value.strip()


@functools.lru_cache(maxsize=4096)
def is_email(text: str) -> bool:
    """Whether ``text`` looks like an address (EMAIL). Cached: an export names few people, many times."""
    return EMAIL.fullmatch(text) is not None


def loose_text(holder: dict, key: str) -> str:
    """An optional metadata string; anything else counts as absent (metadata keys vary by version)."""
    value = holder.get(key)
    return value.strip() if isinstance(value, str) else ""


def timestamp(value, field: str) -> datetime:
    """An aware UTC time from ISO-8601 text ("T" or space; "Z", an offset, or none, as LiteLLM
    writes UTC into a zone-less column) or epoch seconds (payloads). RowError for a time no
    datetime can hold (epoch milliseconds, year 1 with a positive offset); checks.check holds
    the rest to its window."""
    if isinstance(value, str) and "-" not in value and len(value) <= 64 and EPOCH_TEXT.fullmatch(value):
        value = float(value)  # ISO dates have a "-"
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise RowError(f"field {field} is out of range: {value!r}") from None
    if not isinstance(value, str) or len(value.strip()) < 16:  # a date alone is not a time
        raise RowError(f"field {field} is not a time: {str(value)[:40]!r}")
    try:
        ts = datetime.fromisoformat(value.strip())
        return ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts.astimezone(timezone.utc)
    except ValueError:
        raise RowError(f"field {field} is not an ISO-8601 time: {value[:40]!r}") from None
    except OverflowError:  # e.g. year 1 with a positive offset
        raise RowError(f"field {field} is out of range: {value[:40]!r}") from None


# --- Reading the file ------------------------------------------------------------------------------


class _Counted(io.RawIOBase):
    """The caller's stream, telling ``stats.bytes`` and ``on_bytes`` of every byte read.
    Closing it leaves the caller's stream open: the caller owns that."""

    def __init__(self, stream: BinaryIO, stats: ParseStats, on_bytes):
        self.stream, self.stats, self.on_bytes = stream, stats, on_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        self.stats.bytes += len(data)
        if self.on_bytes and data:
            self.on_bytes(len(data))
        return len(data)


def counted(stream: BinaryIO, stats: ParseStats, on_bytes) -> io.BufferedReader:
    return io.BufferedReader(_Counted(stream, stats, on_bytes), buffer_size=1024 * 1024)


def first_byte(buf: io.BufferedReader) -> bytes | None:
    """The first byte that is not a BOM or white space (consuming only those); None at the end."""
    while peeked := buf.peek(1):
        skip = len(BOM) if peeked.startswith(BOM) else len(peeked) - len(peeked.lstrip(WS))
        if not skip:
            return peeked[:1]
        buf.read(skip)
    return None




def json_values(buf: io.BufferedReader, name: str, runs: bool = False) -> Iterator[tuple[int, object]]:
    """(number, value) per record: a top-level array's elements (1-based index), a single document
    (1), or each NDJSON line's value (its line number); read in bounded memory (json_reader). A bad
    NDJSON line gives (line, Rejected); a file that cannot be read at all, (0, Rejected). ``runs``:
    runs of ``{}`` records may come as (first number, json_reader.EmptyRun) (json_reader.values)."""
    first = first_byte(buf)
    if first is None:
        yield 0, Rejected(name, 0, EMPTY)
        return
    yield from json_reader.values(buf, name, first, MAX_JSON_BYTES, TOO_BIG, runs)
