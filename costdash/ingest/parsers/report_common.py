"""What the daily-report parsers share (anthropic_usage, anthropic_cost, claude_code_analytics,
litellm_daily): reading Admin API pages and CSV exports, bucket times, field checks, natural keys.

Pages: ``{"data": [items], "has_more", "next_page"}`` saved alone, several in a JSON array, or one
per line (NDJSON), as an export tool may save a whole paging run to one file; a file holding the
``data`` items themselves (an array of buckets or records) is read too. A Rejected for an item is
numbered by its page (its line in NDJSON, its 1-based index in an array, 1 for one document) and
its reason starts with where the item sits in the page (``data[3].results[0]: …``).

CSV: header names are matched case-insensitively with runs of other characters read as "_"
("Spend ($)" is ``spend``, "User ID" ``user_id``); columns nobody reads are ignored, and so are
empty trailing cells beyond the header. A row is numbered by the line it starts on.

Each parser turns one item (a bucket result, a record, a CSV row) into its record(s) with a
``build`` function that raises RowError naming the field; ``built`` turns that into a Rejected
and goes on with the next item. Counts are whole numbers in 0..MAX_TOKENS (0..MAX_COUNT for the
32-bit columns); money is an exact Decimal; text is refused, never cut, when too long.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
import csv
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
import hashlib
import io
import re
from typing import BinaryIO

from ..csv_parts import csv_limits, text_lines
from .base import ParseStats, Rejected, RowError
from .checks import MAX_BUCKET_TOKENS as MAX_TOKENS
from .checks import MAX_BUCKET_USD as MAX_USD
from .checks import MAX_COUNT as MAX_COUNT  # re-exported: the parsers of reports read it here
from .checks import MONEY_SCALE as SCALE
from .checks import guarded
from .litellm_common import BOM, EMPTY, WS, count, counted, first_byte, json_values, money, text_field, timestamp

MAX_KEY = 250  # a natural key longer than this is replaced by its hash (the column holds 300)
WIDTHS = {timedelta(days=1): "1d", timedelta(hours=1): "1h", timedelta(minutes=1): "1m"}
_NOT_NAME = re.compile(r"[^0-9a-z]+")


# --- Field values ----------------------------------------------------------------------------------


def tokens(value, field: str, text: bool = False, limit: int = MAX_TOKENS) -> int:
    """A count, 0 when absent (null, or an empty CSV cell); RowError unless a whole number in 0..limit."""
    return count(value, field, text, limit) or 0


def required_tokens(holder: dict, key: str, text: bool = False) -> int:
    """``holder[key]``, a count that must be there: RowError when it is missing, null or empty."""
    if holder.get(key) is None or (text and not str(holder[key]).strip()):
        raise RowError(f"field {key} is missing")
    return tokens(holder[key], key, text)


def cents(value, field: str, text: bool = False) -> Decimal | None:
    """USD from an amount in cents (a decimal string, or a JSON number through its shortest repr),
    exact to the stored scale (12 places), None when absent; RowError unless finite, $0..MAX_USD."""
    amount = money(value, field, text, limit=MAX_USD * 100)
    return None if amount is None else (amount / 100).quantize(SCALE)


def text(value, field: str, max_len: int = 200) -> str:
    """A text field, "" for null: RowError if not a string, longer than ``max_len`` (never cut: two
    names must not become one) or not encodable as UTF-8 (a lone surrogate from ``\\ud800``)."""
    value = text_field(value, field)
    if len(value) > max_len:
        raise RowError(f"field {field} is too long ({len(value)} characters, at most {max_len})")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RowError(f"field {field} is not valid text") from None
    return value


def holder(value, field: str) -> dict:
    """A nested object, {} when null: RowError when it is something else."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RowError(f"field {field} is not an object")
    return value


def utc_midnight(value, field: str) -> datetime:
    """The start of a UTC day named by a date ("2026-05-04") or a time on it (its UTC date)."""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise RowError(f"field {field} is not a date: {value[:40]!r}") from None
    else:
        if value is None or value == "":
            raise RowError(f"field {field} is missing")
        day = timestamp(value, field).astimezone(timezone.utc).date()
    return datetime.combine(day, time.min, timezone.utc)


def bucket_of(bucket: dict) -> tuple[datetime, str]:
    """(start in UTC, width "1d"/"1h"/"1m") of an Admin API bucket, from starting_at and ending_at."""
    for field in ("starting_at", "ending_at"):
        if bucket.get(field) in (None, ""):
            raise RowError(f"field {field} is missing")
    start = timestamp(bucket["starting_at"], "starting_at")
    length = timestamp(bucket["ending_at"], "ending_at") - start
    width = WIDTHS.get(length)
    if width is None:
        raise RowError(f"bucket is {length.total_seconds():g} seconds long, not a minute, an hour or a day")
    return start, width


def natural_key(source: str, *parts: str) -> str:
    """``source:`` + the parts joined by "|" (a "|" or "\\" inside a part escaped, so two different
    tuples never join alike); past MAX_KEY characters, the sha256 of that join instead."""
    joined = "|".join(p.replace("\\", "\\\\").replace("|", "\\|") for p in parts)
    key = f"{source}:{joined}"
    if len(key) > MAX_KEY:
        key = f"{source}:sha256:{hashlib.sha256(joined.encode('utf-8')).hexdigest()}"
    return key


# --- Detection -------------------------------------------------------------------------------------


def is_json(head: bytes) -> bool:
    return head.lstrip(BOM).lstrip(WS)[:1] in (b"[", b"{")


def csv_header(head: bytes) -> set[str]:
    """The normalised column names of a CSV head's first line (empty for JSON or unreadable text)."""
    if is_json(head):
        return set()
    first_line = head.decode("utf-8-sig", errors="replace").lstrip().split("\n", 1)[0]
    try:
        return set(_names(next(csv.reader([first_line]), [])))
    except csv.Error:
        return set()


def _names(cells: list[str]) -> list[str]:
    return [_NOT_NAME.sub("_", c.strip().lower()).strip("_") for c in cells]


# --- Reading the file ------------------------------------------------------------------------------

Item = tuple[int, str, object]  # (page number or CSV line, where in the page, the item or a Rejected)


def built(items: Iterator[Item], name: str, stats: ParseStats, build: Callable) -> Iterator:
    """``build(item)``'s record, or each of its list of records (none: nothing billable), per item;
    a Rejected naming the item when build fails or a record fails its check (checks.guarded).
    Counts ``stats.lines`` (items read) and ``usage_lines`` (items that gave records)."""
    for number, where, value in items:
        stats.lines += number > 0
        if isinstance(value, Rejected):
            yield value
            continue
        out = guarded(build, value, name, number, where)
        if type(out) is Rejected:
            yield out
            continue
        records = out if isinstance(out, list) else [out]
        stats.usage_lines += bool(records)
        yield from records


def pages_or_csv(
    stream: BinaryIO, name: str, stats: ParseStats, on_bytes, result: Callable, row: Callable,
    header_problem: Callable[[list[str]], str],
) -> Iterator:
    """The records of a file of bucket pages (``result((start, width, result))`` per bucket result)
    or, when it does not start like JSON, of a Console CSV export (``row(cells)`` per row)."""
    buf = counted(stream, stats, on_bytes)
    first = first_byte(buf)
    if first is None:
        yield Rejected(name, 0, EMPTY)
    elif first in b"[{":
        yield from built(bucket_results(buf, name), name, stats, result)
    else:
        yield from built(csv_rows(buf, name, {}, header_problem), name, stats, row)


def page_items(buf: io.BufferedReader, name: str, item_key: str) -> Iterator[Item]:
    """Each item of a file of pages: a page's ``data`` element, or a top-level object with
    ``item_key`` (a file of bare items); a Rejected for a top-level value that is neither."""
    for number, value in json_values(buf, name):
        if isinstance(value, Rejected):
            yield number, "", value
        elif isinstance(value, dict) and isinstance(value.get("data"), list):
            for i, item in enumerate(value["data"]):
                yield number, f"data[{i}]", item
        elif isinstance(value, dict) and item_key in value:
            yield number, "", value
        else:
            yield number, "", Rejected(name, number, 'not a report page: it has no "data" list')


def bucket_results(buf: io.BufferedReader, name: str) -> Iterator[Item]:
    """Each result of the buckets of usage_report/messages or cost_report pages, as
    (number, where, (bucket start, width, result)); a bucket without a usable time span or
    results list is one Rejected."""
    for number, where, bucket in page_items(buf, name, "results"):
        if isinstance(bucket, Rejected):
            yield number, where, bucket
            continue
        span = guarded(_bucket_span, bucket, name, number, where)
        if type(span) is Rejected:
            yield number, where, span
            continue
        start, width = span
        for j, result in enumerate(bucket["results"]):
            yield number, f"{where}.results[{j}]".lstrip("."), (start, width, result)


def _bucket_span(bucket) -> tuple[datetime, str]:
    """(start, width) of a bucket that has a results list; RowError otherwise."""
    if not isinstance(bucket, dict):
        raise RowError("bucket is not an object")
    span = bucket_of(bucket)
    if not isinstance(bucket.get("results"), list):
        raise RowError("field results is not a list")
    return span


def csv_rows(
    buf: io.BufferedReader, name: str, aliases: dict[str, str], header_problem: Callable[[list[str]], str]
) -> Iterator[Item]:
    """(line a row starts on, "", {column: cell} or Rejected) per row, streamed. Columns are
    renamed by ``aliases``; ``header_problem(columns)`` says why the header is unusable, or "". A
    file that is not UTF-8, breaks CSV quoting or has an unusable header gets one Rejected and is
    read no further."""
    if first_byte(buf) is None:
        yield 0, "", Rejected(name, 0, EMPTY)
        return
    csv_limits()  # a field or line over MAX_LINE_BYTES stops the reading (csv_parts), never held
    reader = csv.reader(text_lines(buf))
    try:
        header = [aliases.get(c, c) for c in _names(next(reader, []))]
        problem = header_problem(header)
        if problem:
            yield 0, "", Rejected(name, 1, problem)
            return
        line = reader.line_num + 1
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue  # a blank line
            if len(cells) < len(header) or any(c.strip() for c in cells[len(header):]):
                reason = f"row has {len(cells)} fields, the header {len(header)}: its columns would be misread"
                yield start, "", Rejected(name, start, reason)
            else:
                yield start, "", dict(zip(header, cells, strict=False))  # empty cells past the header dropped
    except UnicodeDecodeError:
        yield 0, "", Rejected(name, 0, "file is not valid UTF-8 text; reading stopped")
    except csv.Error as exc:  # row boundaries can no longer be trusted
        yield 0, "", Rejected(name, 0, f"malformed CSV ({exc}); reading stopped")


def missing_columns(header: list[str], *required: str) -> str:
    """Why a header lacking any of ``required`` is unusable, or ""."""
    missing = [c for c in required if c not in header]
    return "CSV header lacks column(s): " + ", ".join(missing) if missing else ""
