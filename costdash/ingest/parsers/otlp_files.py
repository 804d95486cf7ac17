"""Files of OTLP/JSON bodies, as an OpenTelemetry Collector's file exporter writes them (one
``Export*ServiceRequest`` per line), or one body spread over many lines (a saved export).

``bodies`` reads such a file for one signal ("logs" or "metrics"); otel_logs and otel_metrics turn
each body into records. A collector may write both signals to one file: the file is read as the
signal its parser was chosen for (the first body decides, see parsers/__init__), and each body of
the other signal is a Rejected naming it, so nothing is dropped without a word.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
import itertools
import re
from typing import BinaryIO

import orjson

from .base import ParseStats, Rejected
from .json_reader import WHITE, crowded

# Whole lines that are blank or an empty body "{}" (which holds no signal: nothing comes of it),
# skipped at C speed once bodies are read line by line (possessive: no backtracking state).
NOTHING_LINES = re.compile(rb"(?:\{\}\n|[ \t\r]*+\{[ \t\r]*+\}[ \t\r]*+\n|[ \t\r\x0b\x0c]*+\n)++")

CHUNK = 1024 * 1024
MAX_LINE = 64 * 1024 * 1024  # one exported body; the SDK batches at most 512 records
ENVELOPES = {"logs": "resourceLogs", "metrics": "resourceMetrics"}


def bodies(
    stream: BinaryIO, name: str, stats: ParseStats, on_bytes: Callable[[int], None] | None, signal: str,
    *, max_line: int = MAX_LINE, chunk: int = CHUNK,
) -> Iterator[tuple[int | None, dict] | Rejected]:
    """(line number, body) for each JSON object line of the file, and a Rejected (file, line,
    reason) for each bad line or body of the other signal; blank lines are skipped. ``stats``
    counts lines and bytes.

    A file whose first line is not a body on its own is read as one body spread over many lines
    (its line number is then None); if it is not one either, it is read line by line after all.
    ``max_line`` bounds a line, and a whole-file body, in bytes.
    """
    by_line = [False]  # set once the file is known to be read line by line: "{}" lines are then skipped
    lines = _lines(stream, stats, on_bytes, max_line, chunk, by_line)
    head = _through_first_content(lines)
    if head and head[-1][1] is not None and not _is_json(head[-1][1]):
        document = _whole_document(head, lines, max_line)  # adds the lines it reads to head
        if document is not None:
            yield _of_signal(None, document, name, signal)
            return
    by_line[0] = True
    for number, line in itertools.chain(head, lines):
        if (item := _line_body(number, line, name, signal, max_line)) is not None:
            yield item


def _lines(stream: BinaryIO, stats: ParseStats, on_bytes, max_line: int, chunk_size: int, by_line: list):
    """(line number, line without its newline) for each line that is not blank (blank lines are
    counted and skipped with bytes operations, and so are "{}" lines once ``by_line[0]``: an
    empty body gives nothing); None for one over max_line, which is skipped without being held."""
    pending: list[bytes] = []
    size, number, too_long = 0, 0, False
    while chunk := stream.read(chunk_size):
        stats.bytes += len(chunk)
        if on_bytes:
            on_bytes(len(chunk))
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            if not pending and not too_long:  # a run of blank lines: counted, never a line each
                white = WHITE.match(chunk, start)
                blank_end = chunk.rfind(b"\n", start, white.end()) + 1 if white else 0
                if blank_end > start:
                    run = chunk.count(b"\n", start, blank_end)
                    number, stats.lines, start = number + run, stats.lines + run, blank_end
                    continue
                # then blank and "{}" lines mixed (an empty body gives nothing), once read by line
                nothing = NOTHING_LINES.match(chunk, start) if by_line[0] else None
                if nothing:
                    run = chunk.count(b"\n", start, nothing.end())
                    number, stats.lines, start = number + run, stats.lines + run, nothing.end()
                    continue
            number += 1
            stats.lines += 1
            piece = chunk[start:end]
            if too_long or size + len(piece) > max_line:
                yield number, None
            else:
                yield number, b"".join((*pending, piece)) if pending else piece
            pending, size, too_long = [], 0, False
            start = end + 1
        rest = chunk[start:]
        if rest and not too_long:
            pending.append(rest)
            size += len(rest)
            if size > max_line:
                pending, size, too_long = [], 0, True
    if pending or too_long:
        stats.lines += 1
        yield number + 1, None if too_long else b"".join(pending)


def _through_first_content(lines: Iterator) -> list:
    """The lines up to and including the first that is not blank (an overlong one counts)."""
    head = []
    for number, line in lines:
        head.append((number, line))
        if line is None or line.strip():
            break
    return head


def _is_json(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _whole_document(head: list, lines: Iterator, max_size: int) -> dict | None:
    """The body, when the file is one JSON object over many lines; else None. Every line read is
    added to ``head``; reading stops past max_size or at an overlong line (the caller then reads
    what is left line by line)."""
    size = sum(len(line) for _, line in head)
    for number, line in lines:
        head.append((number, line))
        if line is None or (size := size + len(line) + 1) > max_size:
            return None
    try:
        document = orjson.loads(b"\n".join(line for _, line in head))
    except orjson.JSONDecodeError:
        return None
    return document if isinstance(document, dict) else None


def _line_body(number: int, line: bytes | None, name: str, signal: str, max_line: int):
    """The line's (number, body), a Rejected, or None for a blank line."""
    if line is None:
        return Rejected(name, number, f"line longer than {max_line // 2**20} MiB")
    if not line.strip():
        return None
    if reason := crowded(line):  # parsed whole it would take tens of times its size
        return Rejected(name, number, reason)
    try:
        body = orjson.loads(line)
    except orjson.JSONDecodeError:
        return Rejected(name, number, "malformed JSON (truncated or invalid line)")
    if not isinstance(body, dict):
        return Rejected(name, number, "line is not a JSON object")
    return _of_signal(number, body, name, signal)


def _of_signal(number: int | None, body: dict, name: str, signal: str):
    """(number, body), or a Rejected when the body holds only the other signal."""
    other = next(s for s in ENVELOPES if s != signal)
    if ENVELOPES[other] in body and ENVELOPES[signal] not in body:
        return Rejected(
            name, number or 0,
            f"an OTLP {other} body in a file read as {signal} (its first body): not read; "
            f"give the collector one file per signal",
        )
    return number, body
