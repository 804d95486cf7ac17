"""Claude Code local transcripts (~/.claude/projects/**/*.jsonl), per shared/formats/claude-code-jsonl.md.

Speed matters (trees of many GB): the file is read in large chunks, only lines that contain
``"usage"`` are JSON-parsed, and malformed lines are found by counting line starts and ends
over whole chunks, with a per-line look only when those counts disagree.

Lines Claude Code wrote itself are no requests (counted in ``stats.synthetic``): a ``<synthetic>``
model, and an ``isApiErrorMessage`` line (an API error or usage-limit notice shown in the
conversation: a failed call, never billed, even when it names a real model with zero usage).
``system`` lines of subtype ``api_error`` (failed attempts the CLI retried) carry no usage.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
import hashlib
import re
from typing import BinaryIO

import orjson

from .base import MAX_LINE_BYTES, ParsedRequest, ParseStats, Rejected, RowError, iso_time, summarised, too_long
from .checks import MAX_REQUEST_TOKENS, count, guarded, money
from .json_reader import crowded

SOURCE = "claude_code_jsonl"
CHUNK = 8 * 1024 * 1024
USAGE = b'"usage"'
TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
SPLIT_FIELDS = ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")
SEARCH_FIELDS = ("web_search_requests",)


def detect(head: bytes, name: str) -> bool:
    """A .jsonl file of JSON objects (or empty). Registered last: the first line of a transcript
    can be a snapshot of any size, so there is nothing more specific to look for in its head."""
    start = head.lstrip()[:1]
    return name.lower().endswith(".jsonl") and start in (b"{", b"")


def parse(
    stream: BinaryIO, name: str, stats: ParseStats, on_bytes: Callable[[int], None] | None = None
) -> Iterator[ParsedRequest | Rejected]:
    """Yield every billable request of one transcript, and a Rejected for each bad line.

    Claude Code writes one response as consecutive lines whose output grows. Such a run is
    grouped by a cheap byte-level read of message id and output, and only its largest copy is
    JSON-parsed (then checked against the cheap read; on any doubt every copy is parsed).
    A line over MAX_LINE_BYTES is skipped unread (one Rejected), and a run of consecutive lines
    rejected alike is one Rejected with its count (``summarised``).
    """
    return summarised(_parse(stream, name, stats, on_bytes))


def _parse(stream: BinaryIO, name: str, stats: ParseStats, on_bytes) -> Iterator[ParsedRequest | Rejected]:
    group: list[tuple] = []  # consecutive usage lines of one message id
    group_key = None
    for item in _lines_with_usage(stream, name, stats, on_bytes):
        if isinstance(item[3], Rejected):
            yield item[3]
            continue
        key, output = _cheap_key(item[3])
        if key is not None and key == group_key:
            group.append((output, item))
            continue
        yield from _parse_group(group, name, stats)
        group, group_key = [(output, item)], key
    yield from _parse_group(group, name, stats)


def _parse_group(group: list[tuple], name: str, stats: ParseStats):
    if not group:
        return
    if len(group) > 1:
        best_output, best = max(group, key=lambda g: g[0])  # max() keeps the first of equals
        request = _parse_one(best, name, stats)
        if isinstance(request, ParsedRequest) and request.output_tokens == best_output:
            stats.usage_lines += len(group) - 1
            yield request
            return
        if isinstance(request, ParsedRequest):
            stats.usage_lines -= 1  # the cheap read was wrong: parse every copy below instead
    for _, item in group:
        request = _parse_one(item, name, stats)
        if request is not None:
            yield request


def _parse_one(item: tuple, name: str, stats: ParseStats) -> ParsedRequest | Rejected | None:
    block, start, first_line, line = item
    # Line numbers are only worked out for the rare bad line: counting them for every
    # line would cost more than the rest of the scan.
    request = guarded(_request_from_line, line, name, lambda: first_line + block.count(b"\n", 0, start))
    if request is None or type(request) is Rejected:
        return request
    if request is SYNTHETIC:
        stats.synthetic += 1
        return None
    stats.usage_lines += 1
    return request


MESSAGE_ID = b'"id":"msg_'
OUTPUT = b'"output_tokens":'
DIGITS = re.compile(rb"\s*(\d{1,12})[\s,}]")


def _cheap_key(line: bytes) -> tuple[bytes | None, int]:
    """(message id, output tokens) read straight from the bytes, or (None, 0) when unsure."""
    i = line.find(MESSAGE_ID)
    j = line.rfind(OUTPUT)
    if i < 0 or j < 0:
        return None, 0
    end = line.find(b'"', i + 6)
    digits = DIGITS.match(line, j + len(OUTPUT))
    if end < 0 or digits is None:
        return None, 0
    return line[i + 6 : end], int(digits.group(1))


SYNTHETIC = object()


def _lines_with_usage(stream, name, stats, on_bytes, max_line: int | None = None):
    """(block, offset, block's first line number, line) for each line containing "usage",
    and (…, Rejected) for each broken line without it (a run of empty lines as one)."""
    for block, n_lines, first_line in _blocks(stream, name, stats, on_bytes, max_line or MAX_LINE_BYTES):
        if isinstance(block, Rejected):
            yield b"", 0, first_line, block
        else:
            yield from _scan_block(block, n_lines, first_line, name, stats)


def _blocks(stream, name: str, stats: ParseStats, on_bytes, max_line: int):
    """(block of whole lines ending with a newline, its lines, its first line number), read in
    chunks; a line longer than ``max_line`` comes as (Rejected, 1, its number) instead and is
    skipped as it is read, never held: the carry (a line's start waiting for its end) is dropped
    once past the cap, and bytes are discarded until the next newline."""
    chunk_size = min(CHUNK, max_line)  # a line inside one chunk is then under the cap
    carry, first_line, skipped = b"", 1, -1  # skipped >= 0: bytes so far of an overlong line
    while chunk := stream.read(chunk_size):
        stats.bytes += len(chunk)
        if on_bytes:
            on_bytes(len(chunk))
        newline = chunk.find(b"\n")
        if skipped < 0 and carry:  # does the held start of a line end within the cap?
            size = len(carry) + (len(chunk) if newline < 0 else newline)
            if size > max_line:
                carry, skipped = b"", len(carry)
        if skipped >= 0:
            if newline < 0:
                skipped += len(chunk)
                continue
            stats.lines += 1
            yield Rejected(name, first_line, too_long(skipped + newline, max_line)), 1, first_line
            first_line, skipped = first_line + 1, -1
            chunk = chunk[newline + 1 :]
        buf = carry + chunk if carry else chunk
        end = buf.rfind(b"\n")
        if end < 0:
            carry = buf
            continue
        block, carry = buf[: end + 1], buf[end + 1 :]
        n_lines = block.count(b"\n")
        yield block, n_lines, first_line
        first_line += n_lines
    if skipped >= 0:
        stats.lines += 1
        yield Rejected(name, first_line, too_long(skipped, max_line)), 1, first_line
    elif carry:
        yield carry + b"\n", 1, first_line


def _scan_block(block: bytes, n_lines: int, first_line: int, name: str, stats: ParseStats):
    """Scan a run of whole lines (the block ends with a newline)."""
    stats.lines += n_lines
    # A block of well-formed lines is "{…}\n{…}\n…{…}\n": one count checks every joint.
    if not (block[:1] == b"{" and block[-2:] == b"}\n" and block.count(b"}\n{") == n_lines - 1):
        for rejected in _bad_lines(block, first_line, name):
            yield block, 0, first_line, rejected
    pos = 0
    while True:
        hit = block.find(USAGE, pos)
        if hit < 0:
            return
        start = block.rfind(b"\n", 0, hit) + 1
        stop = block.find(b"\n", hit)
        yield block, start, first_line, block[start:stop]
        pos = stop + 1


WHITE = re.compile(rb"[ \t\r\n\x0b\x0c]+")  # what bytes.strip() removes


def _bad_lines(block: bytes, first_line: int, name: str):
    """The slow path: name each empty or non-object line that has no usage (usage lines fail in
    JSON). A run of empty lines is found and counted with bytes operations, and is one Rejected."""
    pos, number, size = 0, first_line, len(block)
    while pos < size:
        white = WHITE.match(block, pos)
        blank_end = block.rfind(b"\n", pos, white.end()) + 1 if white else 0  # after the run's last newline
        if blank_end > pos:
            run = block.count(b"\n", pos, blank_end)
            yield Rejected(name, number, "empty line", run)
            pos, number = blank_end, number + run
            continue
        stop = block.index(b"\n", pos)
        line = block[pos:stop].strip()
        if not (line[:1] == b"{" and line[-1:] == b"}") and USAGE not in line:  # usage lines fail in JSON
            yield Rejected(name, number, "malformed JSON (truncated or not an object)")
        pos, number = stop + 1, number + 1


def _request_from_line(line: bytes):
    """A ParsedRequest, "synthetic", or None for a line that carries no billable usage."""
    if reason := crowded(line):  # parsed whole it would take tens of times its size
        raise RowError(reason)
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise RowError("malformed JSON (truncated or invalid line)") from None
    if not isinstance(obj, dict):
        raise RowError("line is not a JSON object")
    kind = obj.get("type")
    if kind == "assistant":
        envelope = obj
    elif kind == "progress":
        data = obj.get("data")
        if not isinstance(data, dict) or data.get("type") != "agent_progress":
            return None
        envelope = data.get("message")
        if not isinstance(envelope, dict):
            return None
    else:
        return None
    message = envelope.get("message")
    if not isinstance(message, dict):
        return None
    usage = message.get("usage")
    if not isinstance(usage, dict):
        return None
    model = message.get("model")
    if model == "<synthetic>" or obj.get("isApiErrorMessage") is True:
        return SYNTHETIC  # written by Claude Code itself (module docstring): a failed call is no request
    if not isinstance(model, str) or not model:
        raise RowError("field message.model is missing")
    request = _request(obj, envelope, message, usage, model)
    if not request.dedupe_key:
        request.dedupe_key = "cc:line:" + hashlib.sha1(line).hexdigest()
    return request


def _request(obj: dict, envelope: dict, message: dict, usage: dict, model: str) -> ParsedRequest:
    message_id = _text(message.get("id"), "message.id")
    request_id = _text(envelope.get("requestId"), "requestId")
    tokens = _token_counts(usage, TOKEN_FIELDS)
    write_5m, write_1h = tokens[2], 0
    split = usage.get("cache_creation")
    if isinstance(split, dict):  # present: ignore the flat total (format spec)
        write_5m, write_1h = _token_counts(split, SPLIT_FIELDS, "usage.cache_creation.")
    server_tools = usage.get("server_tool_use")
    searches = _token_counts(server_tools, SEARCH_FIELDS, "usage.server_tool_use.")[0] if isinstance(
        server_tools, dict
    ) else 0
    tier = usage.get("service_tier") or ""
    # Keyed on message.id alone: one response has one id, and a /btw replay that reuses it
    # under another requestId must collapse into the original (format spec, dedupe rule 3).
    key = f"cc:{message_id}" if message_id else (f"cc:req:{request_id}" if request_id else "")
    return ParsedRequest(
        dedupe_key=key,
        timestamp=_timestamp(envelope.get("timestamp") or obj.get("timestamp")),
        raw_model=model,
        session_id=_text(obj.get("sessionId") or obj.get("session_id"), "sessionId"),
        project=_text(obj.get("cwd"), "cwd"),
        request_id=request_id,
        message_id=message_id,
        input_tokens=tokens[0],
        output_tokens=tokens[1],
        cache_write_5m_tokens=write_5m,
        cache_write_1h_tokens=write_1h,
        cache_read_tokens=tokens[3],
        web_search_requests=searches,
        service_tier=_text(tier, "usage.service_tier"),
        is_batch=tier == "batch",
        speed=_text(usage.get("speed") or "", "usage.speed"),
        inference_geo=_text(usage.get("inference_geo") or "", "usage.inference_geo"),
        reported_cost=money(obj.get("costUSD"), "costUSD", text=True),
    )


def _text(value, field: str) -> str:
    """A string field as sent ("" for null): checks.check refuses one that does not fit its column."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowError(f"field {field} is not a string")
    return value


def _token_counts(usage: dict, fields: tuple[str, ...], prefix: str = "usage.") -> list[int]:
    """The counts of ``fields``: a fast path for the usual plain ints, else field-by-field checks."""
    values = [usage.get(f, 0) for f in fields]
    for value in values:
        if type(value) is not int or not 0 <= value <= MAX_REQUEST_TOKENS:
            return [_tokens(usage, f, prefix) for f in fields]
    return values


def _tokens(usage: dict, field: str, prefix: str = "usage.") -> int:
    return count(usage.get(field), prefix + field) or 0


def _timestamp(value) -> datetime:
    if not isinstance(value, str):
        raise RowError("field timestamp is missing")
    return iso_time(value, "field timestamp")
