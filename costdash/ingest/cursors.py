"""Reading a grown transcript from where the last import stopped (models.TranscriptCursor).

Claude Code only appends to a transcript, so the bytes an import has read stay as they were. A
file whose device, inode, size and mtime are as recorded is skipped without being opened; a file
that grew is read from the end of the last complete line read before, once its first 64 KiB and
the 64 KiB before that point are checked to be what they were (``prefix_hash``: two reads,
whatever the file's size). A file that was replaced, truncated or rewritten is read whole. Either
way the events are upserted by their dedupe key, keeping the copy with the most output, so a
response split across two reads, or read twice, is counted once with its final figures.

Pure Python, no Django: parse workers call ``read_transcript`` too.
"""
from __future__ import annotations

from dataclasses import dataclass
import hashlib
import os

from .parsers.base import ParseStats

WINDOW = 64 * 1024  # bytes at the file's start, and before the offset, that the prefix check reads
BACK_STEP = 1024 * 1024  # looking back for the last newline (a line can be megabytes long)


@dataclass(frozen=True, slots=True)
class Stopped:
    """Where a read of a file stopped: the end of its last complete line, the lines before it."""

    offset: int
    lines: int
    prefix_hash: str


@dataclass(frozen=True, slots=True)
class Cursor:
    """A TranscriptCursor's figures, as ImportRun keeps them (one query for all of a developer's)."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    offset: int
    lines: int
    prefix_hash: str

    def unchanged(self, device: int, inode: int, size: int, mtime_ns: int) -> bool:
        return (device, inode, size, mtime_ns) == (self.device, self.inode, self.size, self.mtime_ns)

    def resume_at(self, path: str, device: int, inode: int, size: int) -> int | None:
        """The offset to read ``path`` from, or None to read it whole (another file now, shorter
        than what was read, or its bytes before the offset are not the ones read)."""
        if (device, inode) != (self.device, self.inode) or size < self.offset or not self.offset:
            return None
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            same = prefix_hash(fd, self.offset) == self.prefix_hash
        finally:
            os.close(fd)
        return self.offset if same else None


# A TranscriptCursor's columns that make a Cursor, after its path_key: read by ImportRun (the ORM) and by
# the re-import that runs before Django is set up (ingest.fast_reimport, plain SQL), so both see the same.
CURSOR_FIELDS = ("path_key", "device", "inode", "size", "mtime_ns", "offset", "lines", "prefix_hash")


def screen(input_file, cursors: dict[str, Cursor], known) -> tuple[bool, Cursor | None, str | None]:
    """How an import first looks at a file (an ingest.files.InputFile), before reading any of it:
    (unchanged, its cursor, its fingerprint). Unchanged when its device, inode, size and mtime are
    as its cursor recorded (not opened, no fingerprint: None), or when its fingerprint is in
    ``known`` (a set of fingerprints of files already imported; a new one is added to it, so a
    second copy in the same import is unchanged). ImportRun and ingest.fast_reimport both ask here."""
    cursor = cursors.get(path_key(str(input_file.path))) if cursors and input_file.path is not None else None
    if cursor is not None and cursor.unchanged(input_file.device, input_file.inode, input_file.size,
                                               input_file.mtime_ns):
        return True, cursor, None
    fingerprint = input_file.fingerprint()
    if fingerprint in known:
        return True, cursor, fingerprint
    known.add(fingerprint)
    return False, cursor, fingerprint


def path_key(path: str) -> str:
    """What a cursor is found by: the sha256 of the absolute path (paths can be longer than an index allows)."""
    return hashlib.sha256(os.path.abspath(path).encode("utf-8", "surrogateescape")).hexdigest()


def prefix_hash(fd: int, offset: int) -> str:
    """sha256 of ``offset``, the file's first WINDOW bytes and the WINDOW bytes before ``offset``."""
    head = os.pread(fd, min(WINDOW, offset), 0)
    start = max(0, offset - WINDOW)
    tail = os.pread(fd, offset - start, start)
    return hashlib.sha256(b"prefix:%d:%b:%b" % (offset, head, tail)).hexdigest()


def stopped_at(fd: int, start: int, end: int, lines_before: int, lines_read: int) -> Stopped:
    """Where a read of the bytes [start, end) that counted ``lines_read`` lines stopped: after its
    last newline (a last line without one, still being written, is read again next time)."""
    last = _last_newline(fd, start, end)
    if last < 0:  # no complete line in what was read
        return Stopped(start, lines_before, prefix_hash(fd, start) if start else "")
    offset = last + 1
    lines = lines_before + lines_read - (1 if end > offset else 0)  # the parser counts a last partial line
    return Stopped(offset, lines, prefix_hash(fd, offset))


def stopped_unparsed(path: str, device: int, inode: int, size: int, cursor: Cursor | None) -> Stopped | None:
    """Where a completed read of the first ``size`` bytes of ``path`` would have stopped, without parsing them
    (for a file whose content was imported already): its lines counted as the parser counts them, from where
    ``cursor`` stopped when the file is still the one read up to there (``resume_at``'s test), else from its
    start. None when the file is no longer the one listed (another inode, or shorter than ``size``)."""
    start, lines_before = 0, 0
    if cursor is not None and (resume := cursor.resume_at(path, device, inode, size)) is not None:
        start, lines_before = resume, cursor.lines
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        stat = os.fstat(fd)
        if (stat.st_dev, stat.st_ino) != (device, inode) or stat.st_size < size:
            return None
        newlines, pos, last = 0, start, b"\n"
        while pos < size:
            block = os.pread(fd, min(BACK_STEP, size - pos), pos)
            if not block:
                return None
            newlines += block.count(b"\n")
            pos += len(block)
            last = block[-1:]
        # the parser counts a last line without its newline too; stopped_at takes it off again
        return stopped_at(fd, start, size, lines_before, newlines + (last != b"\n"))
    finally:
        os.close(fd)


def _last_newline(fd: int, start: int, end: int) -> int:
    pos = end
    while pos > start:
        low = max(start, pos - BACK_STEP)
        block = os.pread(fd, pos - low, low)
        if not block:
            return -1
        found = block.rfind(b"\n")
        if found >= 0:
            return low + found
        pos = low
    return -1


def read_transcript(path: str, name: str, builder, start: int = 0, lines_before: int = 0, on_bytes=None):
    """Parse a transcript file from ``start`` (a line start after ``lines_before`` lines): its
    ({key: entry}, [rejected] numbered by file line, ParseStats of what was read, Stopped)."""
    from .parallel import read_file  # parallel imports this module

    stats = ParseStats()
    with open(path, "rb") as stream:
        if start:
            stream.seek(start)
        entries, rejected = read_file(stream, name, builder, stats, on_bytes)
        fd = stream.fileno()
        stopped = stopped_at(fd, start, start + stats.bytes, lines_before, stats.lines)
    if lines_before:
        for item in rejected:
            item.line += lines_before if item.line else 0
    return entries, rejected, stats, stopped
