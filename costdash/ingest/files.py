"""The files one import reads: a file, a folder tree, or a .zip / .tar.gz of one.

Each is an ``InputFile`` that opens as a binary stream and has a cheap fingerprint,
so an unchanged file can be recognised without reading all of it.

Archive members are bounded before they are read (settings COSTDASH_ARCHIVE_*): a member whose
declared size is over the per-member cap, or that inflates more than the ratio cap times its
compressed size, or that takes the archive past its total inflated cap, is an InputFile with
``refused`` set (its reason) that opens as an empty stream, so it is never inflated. While a
member is read, its stream stops with MemberRefused if it yields more than it declared, or if the
archive turns out corrupt (a lying header): the rest of the archive is still read.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
import functools
import hashlib
import io
import os
from pathlib import Path
import tarfile
from typing import BinaryIO
import zipfile
import zlib

EDGE = 4096  # bytes of head and tail that, with the size, fingerprint a plain file
RATIO_FLOOR = 1024 * 1024  # members inflating to less than this are never refused for their ratio
SUFFIXES = (".jsonl", ".json", ".ndjson", ".csv")  # what a folder walk offers the parsers


class InputError(ValueError):
    """A path that cannot be imported (missing, unreadable, not a supported archive)."""


class MemberRefused(ValueError):
    """An archive member that cannot be read within its caps, or is corrupt: one rejected file."""


@dataclass(frozen=True)
class InputFile:
    name: str  # shown in errors: a path, or "archive.zip:member"
    size: int
    open: Callable[[], BinaryIO]
    fingerprint: Callable[[], str]
    path: Path | None = None  # set for a plain file (one a worker process can open by itself)
    refused: str = ""  # why an archive member is not read (it then opens as an empty stream)
    # A plain file's stat, as it was listed (ingest.cursors: is it unchanged since the last import?)
    device: int = 0
    inode: int = 0
    mtime_ns: int = 0


def is_archive(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".zip", ".tar.gz", ".tgz", ".tar"))


def wanted(name: str, suffixes: tuple[str, ...]) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base.lower().endswith(suffixes) and not base.startswith("._")


def plain_fingerprint(path: str, size: int) -> str:
    """sha256 of size + first and last 4 KiB: transcripts only grow, and every line has its own uuid."""
    fd = os.open(path, os.O_RDONLY)
    try:
        head = os.pread(fd, EDGE, 0)
        tail = os.pread(fd, EDGE, max(EDGE, size - EDGE)) if size > EDGE else b""
    finally:
        os.close(fd)
    return hashlib.sha256(b"file:%d:%b%b" % (size, head, tail)).hexdigest()


def _plain(path: str, stat: os.stat_result | None = None) -> InputFile:
    if stat is None:
        stat = os.stat(path)
    size = stat.st_size
    return InputFile(
        name=path,
        size=size,
        open=lambda: open(path, "rb"),
        fingerprint=lambda: plain_fingerprint(path, size),
        path=Path(path),
        device=stat.st_dev,
        inode=stat.st_ino,
        mtime_ns=stat.st_mtime_ns,
    )


def _member(archive: Path, name: str, size: int, opener: Callable[[], BinaryIO], identity: str,
            refused: str = "") -> InputFile:
    """A file inside an archive, fingerprinted from the archive's own record of it (no read)."""
    key = hashlib.sha256(identity.encode()).hexdigest()
    if refused:
        opener = io.BytesIO  # never inflated, whatever reads it
    else:
        opener = functools.partial(capped, opener, size, f"{archive.name}:{name}")
    return InputFile(name=f"{archive.name}:{name}", size=size, open=opener, fingerprint=lambda: key,
                     refused=refused)


@dataclass(frozen=True)
class ArchiveCaps:
    member: int
    total: int
    ratio: int

    @classmethod
    def from_settings(cls) -> ArchiveCaps:
        from django.conf import settings

        return cls(settings.COSTDASH_ARCHIVE_MAX_MEMBER_BYTES, settings.COSTDASH_ARCHIVE_MAX_TOTAL_BYTES,
                   settings.COSTDASH_ARCHIVE_MAX_RATIO)

    def refusal(self, size: int, compressed: int, inflated_before: int) -> str:
        """Why a member of ``size`` bytes (``compressed`` on disk; the archive inflated to
        ``inflated_before`` before it) is not read, or ""."""
        if size > self.member:
            return f"inflates to {size:,} bytes, over the {self.member:,}-byte limit for one file"
        if size > RATIO_FLOOR and size > self.ratio * max(compressed, 1):
            return f"inflates {size // max(compressed, 1):,}:1, over the {self.ratio}:1 limit (a compression bomb?)"
        if inflated_before + size > self.total:
            return f"takes the archive past {self.total:,} bytes inflated, its limit"
        return ""


def _zip_members(path: Path, suffixes: tuple[str, ...]) -> Iterator[InputFile]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise InputError(f"{path}: not a readable zip archive ({exc})") from None
    caps, total = ArchiveCaps.from_settings(), 0
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir() or not wanted(info.filename, suffixes):
                continue
            refused = caps.refusal(info.file_size, info.compress_size, total)
            total += 0 if refused else info.file_size
            yield _member(path, info.filename, info.file_size, lambda info=info: archive.open(info),
                          identity=f"zip:{info.file_size}:{info.CRC}", refused=refused)


def _tar_members(path: Path, suffixes: tuple[str, ...]) -> Iterator[InputFile]:
    try:
        archive = tarfile.open(path, mode="r:*")
    except (tarfile.TarError, OSError) as exc:
        raise InputError(f"{path}: not a readable tar archive ({exc})") from None
    caps, compressed = ArchiveCaps.from_settings(), max(path.stat().st_size, 1)
    with archive:
        # Streamed in archive order: a compressed tar cannot seek back cheaply. Skipping a member
        # still inflates it, so the caps are held on the position in the inflated stream.
        for info in _tar_infos(archive, path):
            if getattr(info, "unreadable", ""):
                yield _member(path, info.name, 0, io.BytesIO, identity=f"tar:{info.name}", refused=info.unreadable)
                return
            if not info.isfile() or not wanted(info.name, suffixes):
                continue
            refused = caps.refusal(info.size, info.size * compressed // max(info.offset_data + info.size, 1),
                                   info.offset_data)
            if refused:  # nothing after it is read: reaching it would inflate this one
                yield _member(path, info.name, info.size, io.BytesIO, identity=f"tar:{info.name}", refused=refused)
                return
            yield _member(path, info.name, info.size, lambda info=info: archive.extractfile(info),
                          identity=f"tar:{info.size}:{info.mtime}:{info.name}")


def _tar_infos(archive: tarfile.TarFile, path: Path) -> Iterator[tarfile.TarInfo]:
    """The archive's members; a corrupt tail ends the walk (the members before it are read)."""
    try:
        yield from archive
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        marker = tarfile.TarInfo("(rest of the archive)")
        marker.unreadable = f"the archive is corrupt from here on ({exc}): the members before were read"
        yield marker


def capped(opener: Callable[[], BinaryIO], size: int, name: str) -> BinaryIO:
    """A member's stream, buffered (parsers read lines), that stays within its declared size."""
    return io.BufferedReader(Capped(opener, size, name), buffer_size=1024 * 1024)


def _tree(root: str, suffixes: tuple[str, ...]) -> list[InputFile]:
    """Every wanted file below ``root``, in a stable order, stat'ed once."""
    found: list[InputFile] = []
    with os.scandir(root) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            found.extend(_tree(entry.path, suffixes))
        elif entry.is_file() and wanted(entry.name, suffixes):
            found.append(_plain(entry.path, entry.stat()))
    return found


class Inputs:
    """The files of one import, walked once: their total size (for progress) and the files.

    Folders are listed up front (one stat per file); archives are read member by member.
    """

    def __init__(self, paths: list[Path], suffixes: tuple[str, ...] = SUFFIXES):
        self.suffixes = suffixes
        self.paths = [Path(p) for p in paths]
        self.trees = {p: _tree(str(p), suffixes) for p in self.paths if p.is_dir()}
        self.total_bytes = sum(
            sum(f.size for f in self.trees[p]) if p in self.trees else (p.stat().st_size if p.exists() else 0)
            for p in self.paths
        )

    def __iter__(self) -> Iterator[InputFile]:
        for path in self.paths:
            if path in self.trees:
                yield from self.trees[path]
            else:
                yield from iter_input_files([path], self.suffixes)


def iter_input_files(paths: list[Path], suffixes: tuple[str, ...] = SUFFIXES) -> Iterator[InputFile]:
    """Every file to read under ``paths``, in a stable order. Archives are read without unpacking."""
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if path.is_dir():
            yield from _tree(str(path), suffixes)
        elif path.name.lower().endswith(".zip"):
            yield from _zip_members(path, suffixes)
        elif is_archive(path):
            yield from _tar_members(path, suffixes)
        else:
            yield _plain(str(path))


class Capped(io.RawIOBase):
    """An archive member's stream that refuses (MemberRefused) to yield more than its declared
    ``size``, and turns the archive's own errors (bad CRC, cut data) into MemberRefused."""

    def __init__(self, opener: Callable[[], BinaryIO], size: int, name: str):
        self.name, self.size, self.read_so_far = name, size, 0
        try:
            self.inner = opener()
        except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, NotImplementedError) as exc:
            raise MemberRefused(f"{name}: unreadable ({exc})") from None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self.inner.read(len(buffer))
        except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError) as exc:
            raise MemberRefused(f"{self.name}: corrupt archive member ({exc})") from None
        self.read_so_far += len(data)
        if self.read_so_far > self.size:
            raise MemberRefused(f"{self.name}: holds more than the {self.size:,} bytes it declares")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()


class Replay(io.RawIOBase):
    """A stream whose first bytes were already read (to detect its format), read from the start."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n < 0:
                data, self.head = self.head + self.rest.read(), b""
                return data
            data, self.head = self.head[:n], self.head[n:]
            return data
        return self.rest.read(n)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.rest.close()
        super().close()
