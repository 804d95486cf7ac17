"""Cutting a large CSV file into parts that can be parsed independently, and reading a part.

A CSV record may span lines (a quoted field can hold newlines), so a part may only end at a
newline that is outside quotes. In RFC 4180 CSV (what PostgreSQL's ``COPY … CSV`` and Python's
csv writer produce) every ``"`` opens or closes a quoted field or is one of a doubled pair inside
one, so a newline is outside quotes exactly when the number of ``"`` before it, counted from a
record start, is even: ``record_parts`` cuts there, counting with ``bytes.count``.

Cutting that way reads and counts the whole file in the process that cuts (~9 µs a row of a
SpendLogs export, most of that process's work), so large files are first cut at plain newlines
instead (``line_parts``), which reads almost nothing: a cut inside a quoted field is caught by
the check below, and the file is cut again by counting quotes from that part on.

A file that is not RFC 4180 (a stray ``"`` inside an unquoted field, which Python's csv reader
takes literally) could fool the count, so every part but the last is read with a sentinel record
after it (``CsvPart``): if the part really ended between records, the sentinel comes back as a
record of its own; if it ended inside a quoted field, the sentinel closes that field and comes back
merged into a longer record, and ``Misaligned`` is raised after the part's records. The caller
then reads the rest of the file in one pass from the part's start, so the records are always
exactly those of one csv.reader pass over the whole file.

A part held in memory whose width is known is read by pyarrow's CSV reader instead (C++, about
twice as quick as csv.reader over the ~4.6 KB rows of a SpendLogs export), but only where its
records are known to be csv.reader's (``arrow_records``): UTF-8 without NUL or a CR that does not
end a line, every record of the header's width on a line of its own, no part bigger than a line
may be. Anything else (a blank line, a quoted newline, a short row, a cut inside a quoted field,
bad UTF-8, a reader error) reads the part with csv.reader as before, so records, line numbers,
rejections and ``Misaligned`` are always those of one csv.reader pass
(tests/ingest/test_csv_parts_arrow.py).
"""
from __future__ import annotations

import codecs
from collections.abc import Iterator, Sequence
import csv
import io
import itertools
import os
import re
from typing import BinaryIO

BLOCK = 1024 * 1024
_LOOK = 64 * 1024  # read at a time past a cut, looking for its newline
SENTINEL = "costdash: end of part"
_SENTINEL_LINE = f'"{SENTINEL}"\n'
_LEADING = b" \t\r\n"
BOM = b"\xef\xbb\xbf"
_BARE_CR = re.compile(rb"\r(?!\n)")  # a CR that does not end a line (csv.reader ends a record there, or fails)


class Misaligned(ValueError):
    """A part did not end at a record boundary (the file is not RFC 4180 CSV)."""


def header_span(head: bytes) -> tuple[int, int] | None:
    """(start, end) of the first record in ``head``: after a BOM and blank space, up to and
    including its newline. None when no newline outside quotes ends it within ``head``."""
    start = len(BOM) if head.startswith(BOM) else 0
    start += len(head[start:]) - len(head[start:].lstrip(_LEADING))
    newline = head.find(b"\n", start)
    while newline >= 0:
        if head.count(b'"', start, newline) % 2 == 0:
            return start, newline + 1
        newline = head.find(b"\n", newline + 1)
    return None


def record_parts(stream: BinaryIO, start: int, part_bytes: int) -> Iterator[tuple[int, int]]:
    """(offset, length) of consecutive parts of the file from ``start`` (a record start) to its end,
    each about ``part_bytes`` or more; all but the last end just after a newline with an even
    number of ``"`` since ``start``. The file is read once, a block at a time."""
    stream.seek(start)
    part_start, position, odd = start, start, False  # odd: quote parity from part_start to position
    while block := stream.read(min(BLOCK, part_bytes)):
        end = position + len(block)
        cut = _cut(block, odd) if end - part_start >= part_bytes else None
        if cut is None:
            odd ^= block.count(b'"') % 2 == 1
        else:
            yield part_start, position + cut - part_start
            part_start, odd = position + cut, block.count(b'"', cut) % 2 == 1
        position = end
    if position > part_start:
        yield part_start, position - part_start


def line_parts(stream: BinaryIO, start: int, part_bytes: int) -> Iterator[tuple[int, int]]:
    """(offset, length) of consecutive parts of the file from ``start`` to its end, each about
    ``part_bytes``, all but the last ending just after the first newline past that size. Only a
    little is read around each cut, nothing else: whether a cut fell between records (it may not,
    where a quoted field holds a newline) is for CsvPart's sentinel to tell (``Misaligned``)."""
    end = os.fstat(stream.fileno()).st_size
    part_start = start
    while end - part_start > part_bytes:
        at = part_start + part_bytes
        stream.seek(at)
        cut = None
        while block := stream.read(_LOOK):
            newline = block.find(b"\n")
            if newline >= 0:
                cut = at + newline + 1
                break
            at += len(block)
        if cut is None or cut >= end:
            break
        yield part_start, cut - part_start
        part_start = cut
    if end > part_start:
        yield part_start, end - part_start


def _cut(block: bytes, odd: bool) -> int | None:
    """The offset just after the last newline in ``block`` that is outside quotes, given the quote
    parity before the block; None if there is none. Walks back from the end, counting the quotes
    between successive newlines, so the block is counted about once."""
    newline = block.rfind(b"\n")
    if newline < 0:
        return None
    odd_here = odd ^ (block.count(b'"', 0, newline) % 2 == 1)  # parity just before that newline
    while True:
        if not odd_here:
            return newline + 1
        previous = block.rfind(b"\n", 0, newline)
        if previous < 0:
            return None
        odd_here ^= block.count(b'"', previous, newline) % 2 == 1
        newline = previous


def _max_line() -> int:
    from .parsers.base import MAX_LINE_BYTES  # here: the parsers import this module

    return MAX_LINE_BYTES


class LineTooLong(csv.Error):
    """A physical line over MAX_LINE_BYTES: the reader stops rather than hold it (a CSV line
    cannot be skipped safely: it may sit inside a quoted field)."""


def csv_limits() -> None:
    """The csv module's field cap, set on purpose (process-wide, the same value everywhere): a
    field over MAX_LINE_BYTES characters is a csv.Error, so the reader never builds a bigger one."""
    csv.field_size_limit(_max_line())


def text_lines(stream: BinaryIO, limit: int | None = None) -> Iterator[str]:
    """The stream's lines as UTF-8 text with their line ends, for csv.reader (as a TextIOWrapper
    with newline="" gives them for "\n" and "\r\n" ends); a line over ``limit`` bytes
    (MAX_LINE_BYTES) raises LineTooLong once that many bytes are read, never holding more.
    UnicodeDecodeError propagates."""
    limit = limit or _max_line()
    decoder = codecs.getincrementaldecoder("utf-8")()
    number = 0
    while line := stream.readline(limit + 1):
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            raise LineTooLong(f"line {number:,} is over the {limit:,}-byte limit")
        yield decoder.decode(line)
    decoder.decode(b"", final=True)


class CsvPart:
    """The records of a stretch of a CSV file that starts at a record start.

    Iterating gives (line the record starts on, counted from 1 at the part's start, cells), as
    csv.reader counts lines; cells are a list from csv.reader, a tuple from pyarrow (the part
    given as bytes with its ``width``: arrow_records). ``ends_part``: the stretch is a part cut
    by record_parts that should end between records; this is checked, and Misaligned raised
    after the last record if not.
    ``lines`` is the number of lines read once iteration has ended. UnicodeDecodeError and
    csv.Error propagate as from csv.reader.
    """

    def __init__(self, stream: BinaryIO | bytes, ends_part: bool = False, width: int | None = None):
        csv_limits()
        self.data = stream if isinstance(stream, bytes) else None
        self.text = text_lines(io.BytesIO(stream) if self.data is not None else stream)
        self.ends_part = ends_part
        self.width = width  # the header's: with ``stream`` as bytes, lets arrow_records read it
        self.lines = 0

    def __iter__(self) -> Iterator[tuple[int, Sequence[str]]]:
        if self.data is not None and self.width and (read := arrow_records(self.data, self.width, self.ends_part)):
            records, self.lines = read
            yield from records
            return
        if not self.ends_part:
            reader = csv.reader(self.text)
            start = 1
            for cells in reader:
                yield start, cells
                start = reader.line_num + 1
            self.lines = reader.line_num
            return
        reader = csv.reader(itertools.chain(self.text, [_SENTINEL_LINE]))
        start, held = 1, None  # the last record is held back: it should be the sentinel
        try:
            for cells in reader:
                if held is not None:
                    yield held
                held, start = (start, cells), reader.line_num + 1
        except (UnicodeDecodeError, csv.Error):
            if held is not None:
                yield held  # the records before a bad one come out, as in one pass
            raise
        self.lines = reader.line_num - 1
        if held is None or held[1] != [SENTINEL]:
            raise Misaligned("the part did not end between records")


def arrow_records(data: bytes, width: int, ends_part: bool) -> tuple[list[tuple[int, tuple[str, ...]]], int] | None:
    """(records, lines) of a part as CsvPart gives them from csv.reader, (line, cells) per record,
    read by pyarrow's CSV reader; None where that reading is not known to equal csv.reader's, and
    the part is to be read by csv.reader (module docstring).

    Equal by construction where it returns: pyarrow (RFC 4180 quoting, non-strict like csv.reader
    about quotes inside or after a field, ``newlines_in_values``) refuses a record of another width;
    counting newlines shows every record on a line of its own (a record spanning lines, a blank
    line and a cut inside a quoted field all make fewer records than lines: the last only with a
    newline in its last record's cells, checked; CR LF ends a line in both). pyarrow refuses bad
    UTF-8 (``check_utf8``; a lone surrogate included). A CR elsewhere (where csv.reader ends a record
    or fails) and NUL are left to csv.reader, as is a part larger than a line may be (it could hold a
    line too long: LineTooLong)."""
    if not data or len(data) > _max_line() or b"\0" in data or (b"\r" in data and _BARE_CR.search(data)):
        return None
    ends_line = data.endswith(b"\n")
    if ends_part and not ends_line:
        return None
    try:
        cells = _arrow_cells(data, width)
    except Exception:  # noqa: BLE001 - whatever pyarrow refuses, csv.reader reads (and reports)
        return None
    lines = data.count(b"\n") + (not ends_line)
    if len(cells) != lines or (cells and any("\n" in cell for cell in cells[-1])):
        return None
    return list(zip(range(1, lines + 1), cells, strict=True)), lines


def _arrow_cells(data: bytes, width: int) -> list[tuple[str, ...]]:
    """Every record of ``data`` as its ``width`` cells (text; empty stays empty), by pyarrow."""
    import pyarrow as pa  # here: only parse workers reading a large CSV load it
    from pyarrow import csv as arrow_csv

    names = [str(i) for i in range(width)]
    table = arrow_csv.read_csv(
        pa.py_buffer(data),
        read_options=arrow_csv.ReadOptions(column_names=names, use_threads=False, block_size=len(data) + 1),
        parse_options=arrow_csv.ParseOptions(newlines_in_values=True),
        convert_options=arrow_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), check_utf8=True, strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return list(zip(*(column.to_pylist() for column in table.columns), strict=True))
