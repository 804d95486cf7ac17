"""LiteLLM ``LiteLLM_SpendLogs`` rows, per shared/formats/litellm.md §1–4 and §7.

Input: a CSV export of the table (``\\copy (SELECT * FROM "LiteLLM_SpendLogs") TO … CSV HEADER``,
header names matched case-insensitively), or JSON: an array of rows, one row, NDJSON, or
``GET /spend/logs/v2`` pages (``{"data": [rows], "total": …}``, alone, in an array or one per line).
One ParsedRequest per billable row, a ParsedFailure per failed call (``status`` not "success":
an error, never billed, litellm_common); a Rejected per bad row naming the field, numbered by the CSV
line the row starts on, or the row's 1-based index in the file (its line in NDJSON).

Who: the ``user`` column (the key owner), never ``end_user`` (a customer id or Claude Code's
per-session blob, §2); if empty, metadata.user_api_key_user_id, then .user_api_key_user_email.
``email``: the identity when it looks like an address, else metadata.user_api_key_user_email.

Tokens, skipped rows and field checks follow litellm_common (the same for litellm_payload); a row
with no tokens but ``spend`` > 0 is rejected. ``reported_cost`` is ``spend`` as an exact Decimal
(a float via its shortest repr, never float arithmetic).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
import csv
import io
import re
from typing import BinaryIO

import orjson

from ..csv_parts import CsvPart, csv_limits
from .base import ParsedFailure, ParsedRequest, ParseStats, Rejected, RowError, summarised
from .checks import guarded
from .json_reader import EmptyRun
from .litellm_common import (
    BOM,
    EMPTY,
    START_TIME,
    WS,
    counted,
    first_byte,
    json_values,
    litellm_request,
    loose_text,
    money,
    text_field,
)

SOURCE = "litellm_spendlogs"
REQUEST_ID_KEY = re.compile(rb'"request_id"\s*:')
CAMEL = {c.lower(): c for c in ("startTime", "endTime", "completionStartTime")}  # the rest are lower case
REQUIRED_COLUMNS = ("request_id", "startTime", "model", "prompt_tokens", "completion_tokens", "metadata")


def detect(head: bytes, name: str) -> bool:
    """JSON with a ``"request_id":`` key and a text ``"startTime"`` (payloads have ``id`` and epoch
    numbers), or a CSV whose header has request_id and startTime. parse() checks the other
    required columns, so a short export is rejected with a reason rather than ignored."""
    if head.lstrip(BOM).lstrip(WS)[:1] in (b"[", b"{"):
        start = START_TIME.search(head)
        return bool(REQUEST_ID_KEY.search(head) and start and start.group(1) == b'"')
    first_line = head.decode("utf-8-sig", errors="replace").lstrip().split("\n", 1)[0]
    try:
        return {"request_id", "startTime"} <= set(_header(next(csv.reader([first_line]), [])))
    except csv.Error:
        return False


def parse(
    stream: BinaryIO, name: str, stats: ParseStats, on_bytes: Callable[[int], None] | None = None
) -> Iterator[ParsedRequest | Rejected]:
    """Every billable row of a CSV or JSON file, and a Rejected per bad row (or one with line 0
    for the whole file when it is empty, too big, not UTF-8, or not JSON)."""
    buf = counted(stream, stats, on_bytes)
    first = first_byte(buf)
    if first is None:
        yield Rejected(name, 0, EMPTY)
        return
    text = first not in b"[{"
    rows = _csv_rows(buf, name, stats) if text else _json_rows(buf, name, stats)
    yield from summarised(_requests(rows, name, stats, text))  # a run of rows rejected alike is one


def parse_csv_part(
    part: CsvPart, name: str, stats: ParseStats, header: list[str], lines_before: int
) -> Iterator[ParsedRequest | Rejected]:
    """What parse() gives for the records of one part of a CSV file (csv_parts.CsvPart), whose
    header (as parse() reads it: ``csv_header``) has every required column. Rows are numbered by
    file line, ``lines_before`` being the lines before the part. Misaligned propagates."""
    _allow_large_fields()
    yield from summarised(_requests(_csv_records(part, header, name, stats, lines_before), name, stats, True))


def csv_header(cells: list[str]) -> list[str] | None:
    """The column names of a CSV header record, None if it lacks a required column."""
    header = _header(cells)
    return header if all(c in header for c in REQUIRED_COLUMNS) else None


def _requests(rows, name: str, stats: ParseStats, text: bool) -> Iterator[ParsedRequest | ParsedFailure | Rejected]:
    for number, row in rows:
        request = row if isinstance(row, Rejected) else guarded(lambda r: _row_request(r, text), row, name, number)
        if isinstance(request, ParsedRequest):
            stats.usage_lines += 1
        if request is not None:
            yield request


def _row_request(row, text: bool) -> ParsedRequest | ParsedFailure | None:
    if not isinstance(row, dict):
        raise RowError("row is not a JSON object")
    metadata = row.get("metadata")
    if isinstance(metadata, str) and metadata:  # the column's JSON text (CSV, or a DB dump)
        try:
            metadata = orjson.loads(metadata)
        except orjson.JSONDecodeError:
            raise RowError("field metadata is not valid JSON") from None
    if metadata in (None, ""):
        metadata = {}
    if not isinstance(metadata, dict):
        raise RowError("field metadata is not a JSON object")
    user = text_field(row.get("user"), "user")
    identity = user or loose_text(metadata, "user_api_key_user_id") or loose_text(metadata, "user_api_key_user_email")
    cost = money(row.get("spend"), "spend", text)
    return litellm_request(
        row, metadata, key_field="request_id", cost=cost, cost_field="spend", identity=identity, text=text
    )


# --- Reading the file ------------------------------------------------------------------------------

def _header(cells: list[str]) -> list[str]:
    return [CAMEL.get(c.strip().lower(), c.strip().lower()) for c in cells]


def _csv_rows(buf: io.BufferedReader, name: str, stats: ParseStats):
    """(line the row starts on, {column: text} or Rejected) per row, streamed. A file that is not
    UTF-8, breaks CSV quoting or lacks a required column gets one Rejected and is read no further."""
    _allow_large_fields()
    records = iter(CsvPart(buf))
    try:
        header = _header(next(records, (1, []))[1])
    except (UnicodeDecodeError, csv.Error) as exc:
        yield 0, _stopped(name, exc)
        return
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        yield 1, Rejected(name, 1, "CSV header lacks column(s): " + ", ".join(missing))
        return
    yield from _csv_records(records, header, name, stats, 0)


def _csv_records(records, header: list[str], name: str, stats: ParseStats, lines_before: int):
    """The rows of csv_parts records (after the header), numbered by file line."""
    width = len(header)
    try:
        for start, cells in records:
            if not cells:
                continue  # a blank line
            stats.lines += 1
            start += lines_before
            if len(cells) != width:
                reason = f"row has {len(cells)} fields, the header {width}: its columns would be misread"
                yield start, Rejected(name, start, reason)
            else:
                yield start, dict(zip(header, cells, strict=True))
    except (UnicodeDecodeError, csv.Error) as exc:
        yield 0, _stopped(name, exc)


def _stopped(name: str, exc: Exception) -> Rejected:
    if isinstance(exc, UnicodeDecodeError):
        return Rejected(name, 0, "file is not valid UTF-8 text; reading stopped")
    return Rejected(name, 0, f"malformed CSV ({exc}); reading stopped")  # row boundaries can no longer be trusted


def _allow_large_fields() -> None:
    csv_limits()  # a field over MAX_LINE_BYTES stops the reading (csv_parts)


def _json_rows(buf: io.BufferedReader, name: str, stats: ParseStats):
    """(number, row) per row; the rows of /spend/logs/v2 pages are numbered 1.. across the file.
    A run of ``{}`` rows (json_reader.EmptyRun, counted with bytes operations) is one Rejected
    with its count: each would be rejected alike, as litellm_payload does."""
    page_rows = 0
    for number, value in json_values(buf, name, runs=True):
        if type(value) is EmptyRun:
            stats.lines += value.count
            rejected = guarded(lambda row: _row_request(row, False), {}, name, number)
            if type(rejected) is Rejected:
                rejected.count = value.count
                yield number, rejected
            continue
        if isinstance(value, dict) and isinstance(value.get("data"), list) and "request_id" not in value:
            for row in value["data"]:
                page_rows += 1
                stats.lines += 1
                yield page_rows, row
        else:
            stats.lines += number > 0
            yield number, value
