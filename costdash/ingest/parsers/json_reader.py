"""Reading a JSON file of records in bounded memory: a top-level array, one document, or NDJSON.

``values`` gives (number, value) per record, or (number, Rejected). How memory stays bounded:
- a document up to WHOLE_BYTES is read whole with orjson (fastest; its numbers outside what
  orjson holds, 1e400 or NaN, are read by the standard library so the row checks name the field);
- a larger one is read element by element with ijson (yajl2_c): only the element being built is
  held, and one element (a record, or a page with its ``data``) holding more than
  MAX_RECORD_OBJECTS JSON objects stops the reading, so a flood of ``{}`` cannot become millions
  of dicts at once. A number yajl cannot hold (an integer over 64 bits, 1e400, NaN) stops the
  reading there with a reason, the records before it kept;
- NDJSON is read a line at a time; a line over MAX_LINE_BYTES is skipped without being held (one
  Rejected with its length), and a run of blank lines is skipped with bytes operations.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
import io
import itertools
import json
import re

import ijson
import orjson

from .base import MAX_LINE_BYTES, Rejected, too_long
from .json_runs import MARKER, ArrayRuns

WHOLE_BYTES = 1024 * 1024  # a document this small is read whole: at most tens of MB as objects
MAX_RECORD_OBJECTS = 1_000_000  # "{" and "[" read while one element is built; legit pages hold far fewer
IJSON_BUFFER = 64 * 1024
CHUNK = 1024 * 1024
EMPTY = "file is empty"
WHITE = re.compile(rb"[ \t\r\n\x0b\x0c]+")  # what bytes.strip() removes
# Whole lines that are each an empty object ("{}", JSON white space around and inside): a flood of
# them is counted here at C speed instead of parsed one by one (2 µs each in Python). Possessive,
# and the bare form first: 7x faster than the plain pattern on a flood.
EMPTY_LINES = re.compile(rb"(?:\{\}\n|[ \t\r]*+\{[ \t\r]*+\}[ \t\r]*+\n)++")


@dataclass(frozen=True, slots=True)
class EmptyRun:
    """``count`` consecutive records, each an empty object ``{}``, from the number it is given with
    on (only when ``values`` is asked for runs): the reader yields this instead of each ``{}``."""

    count: int


class _Stop(Exception):
    """Reading must stop here; the message is the Rejected's reason."""


def values(
    buf: io.BufferedReader, name: str, first: bytes, max_bytes: int, too_big: str, runs: bool = False
) -> Iterator[tuple[int, object]]:
    """(number, value) per record: a top-level array's elements (1-based index), a single document
    (1), or each NDJSON line's value (its line number; streamed). A bad NDJSON line gives
    (line, Rejected); a file that cannot be read at all, or from some record on, (0, Rejected).
    ``first`` is the file's first byte that is not white space (already skipped in ``buf``);
    ``max_bytes`` bounds a whole document (``too_big`` says so). ``runs``: a run of two or more
    consecutive NDJSON lines that are each ``{}``, or of json_runs.MIN_RUN ``{}`` elements of an
    array over WHOLE_BYTES, comes as one (first number, EmptyRun(count)), counted with bytes
    operations; the caller must then treat it as that many ``{}`` records."""
    head: list[bytes] = []
    line = buf.readline(MAX_LINE_BYTES + 1)
    whole_line = line.endswith(b"\n") or len(line) <= MAX_LINE_BYTES
    if first == b"{" and whole_line and _parses(line):  # one object per line (or a one-line document)
        yield from _ndjson(buf, name, [(1, line)], runs)
        return
    head.append(line)
    # NDJSON whose first line is bad (not JSON, or a value that is no object: a one-line array too)?
    # Its next line decides, so one bad line never costs the records after it. A document that
    # starts with "[" and does not close on its first line is read as the document it is.
    if whole_line and (first != b"[" or _parses(line)):
        blanks = _skip_blank(buf)
        second = buf.readline(MAX_LINE_BYTES + 1)
        whole_second = second.endswith(b"\n") or len(second) <= MAX_LINE_BYTES
        if whole_second and second.lstrip()[:1] == b"{" and _parses(second):
            yield from _ndjson(buf, name, [(1, line), (2 + blanks, second)], runs)
            return
        head.append(b"\n" * blanks + second)  # JSON does not mind where its white space goes
    yield from _document(_Joined(head, buf, too_big), name, first == b"[", max_bytes, runs)


def _document(
    source: _Joined, name: str, array: bool, max_bytes: int, runs: bool = False
) -> Iterator[tuple[int, object]]:
    small = source.read_upto(min(WHOLE_BYTES, max_bytes) + 1)
    if len(small) > max_bytes:
        yield 0, Rejected(name, 0, source.too_big)
        return
    if len(small) <= WHOLE_BYTES:
        try:
            value = loads(small)
        except ValueError as exc:
            yield 0, Rejected(name, 0, f"file is {exc}")
            return
        yield from enumerate(value, 1) if isinstance(value, list) else [(1, value)]
        return
    source.restart(small, max_bytes, ArrayRuns() if runs and array else None)
    number = 0
    try:
        for value in ijson.items(source, "item" if array else "", use_float=True):
            source.objects = 0  # the next element's count starts (fuzzy by one buffer: fine for a bound)
            if type(value) is dict and len(value) == 1 and MARKER in value:  # json_runs' marker
                yield number + 1, EmptyRun(value[MARKER])
                number += value[MARKER]
                continue
            number += 1
            yield number, value
    except _Stop as exc:
        yield 0, Rejected(name, 0, str(exc) if not number else f"{exc} (after record {number:,})")
    except (ijson.JSONError, ValueError) as exc:
        yield 0, Rejected(name, 0, _ijson_reason(exc, number))


def _ijson_reason(exc: Exception, records: int) -> str:
    arg = exc.args[0] if exc.args else ""
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    why = "not valid UTF-8 text" if "UTF8" in text else f"malformed JSON ({text.splitlines()[0][:100]})"
    return f"file is {why}" if not records else f"file is {why} after record {records:,}; reading stopped"


class _Joined:
    """Bytes already read, then the rest of ``buf``, for ijson's read(); counts what it hands out
    against the file's cap and the "{" of the element being built (``objects``)."""

    def __init__(self, head: list[bytes], buf: io.BufferedReader, too_big: str):
        self.parts, self.buf, self.too_big = [p for p in head if p], buf, too_big
        self.size, self.objects, self.max_bytes, self.runs = 0, 0, None, None

    def read_upto(self, n: int) -> bytes:
        """Up to ``n`` bytes from the start (in chunks: read(n) would allocate n up front)."""
        out, size = [], 0
        while size < n and (chunk := self._next(min(n - size, 1024 * 1024))):
            out.append(chunk)
            size += len(chunk)
        return b"".join(out)

    def restart(self, data: bytes, max_bytes: int, runs: ArrayRuns | None = None) -> None:
        """Hand ``data`` out again first, and check the caps from now on (and rewrite runs of
        empty objects, with ``runs``)."""
        self.parts.insert(0, data)
        self.max_bytes, self.runs = max_bytes, runs

    def _next(self, n: int) -> bytes:
        if self.parts:
            part = self.parts.pop(0)
            if len(part) > n:
                part, rest = part[:n], part[n:]
                self.parts.insert(0, rest)
            return part
        return self.buf.read(n)

    def read(self, n: int = IJSON_BUFFER) -> bytes:
        if n == 0:
            return b""  # ijson's probe of the stream's type
        data = self._next(n if n > 0 else IJSON_BUFFER)
        self.size += len(data)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise _Stop(self.too_big)
        if self.runs is not None:
            data = self.runs.rewrite(data)
        self.objects += data.count(b"{") + data.count(b"[")
        if self.objects > MAX_RECORD_OBJECTS:
            raise _Stop(f"a record holds over {MAX_RECORD_OBJECTS:,} JSON objects; reading stopped")
        return data


def _skip_blank(buf: io.BufferedReader) -> int:
    """Skip whole blank lines at the reading position with bytes operations; how many there were."""
    skipped = 0
    while data := buf.peek(1):
        white = WHITE.match(data)
        end = data.rfind(b"\n", 0, white.end()) + 1 if white else 0
        if not end:
            break
        skipped += data.count(b"\n", 0, end)
        buf.read(end)
        if end < len(data):
            break
    return skipped


def _lines(
    buf: io.BufferedReader, number: int, limit: int | None = None, runs: bool = False
) -> Iterator[tuple[int, bytes | int | EmptyRun]]:
    """(number, line) for each line after line ``number`` that is not blank; (number, its size)
    for a line over ``limit`` (MAX_LINE_BYTES), which is read past, never held. Read in chunks
    and split here (a readline or peek per line costs more than the line); a run of blank lines
    is counted with bytes operations, and so (``runs``) is a run of 2+ ``{}`` lines: (its first
    line's number, EmptyRun(count))."""
    limit = limit or MAX_LINE_BYTES
    pending: list[bytes] = []
    size, skipping = 0, False  # size: bytes of the line so far; skipping: it is over the limit
    while chunk := buf.read(CHUNK):
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            if not size:  # at a line start: skip a run of blank lines whole
                white = WHITE.match(chunk, start)
                blank_end = chunk.rfind(b"\n", start, white.end()) + 1 if white else 0
                if blank_end > start:
                    number, start = number + chunk.count(b"\n", start, blank_end), blank_end
                    continue
                if runs and (empty := EMPTY_LINES.match(chunk, start)):
                    run = chunk.count(b"\n", start, empty.end())
                    if run > 1:
                        yield number + 1, EmptyRun(run)
                        number, start = number + run, empty.end()
                        continue
            number, size = number + 1, size + end - start
            if skipping or size > limit:
                yield number, size
            else:
                line = b"".join((*pending, chunk[start:end])) if pending else chunk[start:end]
                if line.strip():
                    yield number, line
            pending, size, skipping, start = [], 0, False, end + 1
        if start < len(chunk):
            size += len(chunk) - start
            skipping = skipping or size > limit
            pending = [] if skipping else [*pending, chunk[start:]]
    if size:
        line = b"".join(pending)
        if skipping or line.strip():
            yield number + 1, size if skipping else line


def _ndjson(buf: io.BufferedReader, name: str, held: list[tuple[int, bytes]], runs: bool = False):
    for number, line in itertools.chain(held, _lines(buf, held[-1][0], runs=runs)):
        if type(line) is EmptyRun:
            yield number, line
        elif isinstance(line, int):
            yield number, Rejected(name, number, too_long(line, MAX_LINE_BYTES))
        elif line.strip():
            try:
                yield number, loads(line)
            except ValueError as exc:
                yield number, Rejected(name, number, f"line is {exc}")


def _parses(line: bytes) -> bool:
    if crowded(line):
        return False
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def crowded(data: bytes) -> str:
    """Why ``data`` must not be parsed whole ("" if it may): more than MAX_RECORD_OBJECTS objects
    and arrays, which as Python objects would take tens of times its size (``{}`` is 2 bytes, a
    dict 64). Counted on the bytes, only for data long enough to hold that many."""
    if len(data) <= MAX_RECORD_OBJECTS or data.count(b"{") + data.count(b"[") <= MAX_RECORD_OBJECTS:
        return ""
    return f"a record of over {MAX_RECORD_OBJECTS:,} JSON objects and arrays: not read"


def loads(data: bytes):
    """JSON via orjson. Where orjson refuses a number it cannot hold (1e400, NaN), the standard
    library reads it as a float, so the row checks name the field instead of losing the file.
    Raises ValueError with the reason ("not valid UTF-8 text", "malformed JSON (…)", ``crowded``)."""
    if reason := crowded(data):
        raise ValueError(reason)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        error = exc
    try:
        return json.loads(data.decode("utf-8"))  # NaN too: the row checks refuse it by name
    except UnicodeDecodeError:
        raise ValueError("not valid UTF-8 text") from None
    except (ValueError, RecursionError):
        raise ValueError(f"malformed JSON ({str(error)[:100]})") from None
