"""The files one import reads: a file, a folder tree, or a .zip / .tar.gz of one.

Each is an ``InputFile`` that opens as a binary stream and has a cheap fingerprint,
so an unchanged file can be recognised without reading all of it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
import hashlib
import os
from pathlib import Path
import tarfile
from typing import BinaryIO
import zipfile

EDGE = 4096  # bytes of head and tail that, with the size, fingerprint a plain file


class InputError(ValueError):
    """A path that cannot be imported (missing, unreadable, not a supported archive)."""


@dataclass(frozen=True)
class InputFile:
    name: str  # shown in errors: a path, or "archive.zip:member"
    size: int
    open: Callable[[], BinaryIO]
    fingerprint: Callable[[], str]
    path: Path | None = None  # set for a plain file (one a worker process can open by itself)


def is_archive(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".zip", ".tar.gz", ".tgz", ".tar"))


def wanted(name: str, suffixes: tuple[str, ...]) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base.lower().endswith(suffixes) and not base.startswith("._")


def plain_fingerprint(path: Path, size: int) -> str:
    """sha256 of size + first and last 4 KiB: transcripts only grow, and every line has its own uuid."""
    digest = hashlib.sha256(f"file:{size}:".encode())
    with open(path, "rb") as fh:
        digest.update(fh.read(EDGE))
        if size > EDGE:
            fh.seek(max(EDGE, size - EDGE))
            digest.update(fh.read(EDGE))
    return digest.hexdigest()


def _plain(path: Path) -> InputFile:
    size = path.stat().st_size
    return InputFile(
        name=str(path),
        size=size,
        open=lambda: open(path, "rb"),
        fingerprint=lambda: plain_fingerprint(path, size),
        path=path,
    )


def _zip_members(path: Path, suffixes: tuple[str, ...]) -> Iterator[InputFile]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise InputError(f"{path}: not a readable zip archive ({exc})") from None
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir() or not wanted(info.filename, suffixes):
                continue
            key = hashlib.sha256(f"zip:{info.file_size}:{info.CRC}".encode()).hexdigest()
            yield InputFile(
                name=f"{path.name}:{info.filename}",
                size=info.file_size,
                open=lambda info=info: archive.open(info),
                fingerprint=lambda key=key: key,
            )


def _tar_members(path: Path, suffixes: tuple[str, ...]) -> Iterator[InputFile]:
    try:
        archive = tarfile.open(path, mode="r:*")
    except (tarfile.TarError, OSError) as exc:
        raise InputError(f"{path}: not a readable tar archive ({exc})") from None
    with archive:
        # Streamed in archive order: a compressed tar cannot seek back cheaply.
        for info in archive:
            if not info.isfile() or not wanted(info.name, suffixes):
                continue
            key = hashlib.sha256(f"tar:{info.size}:{info.mtime}:{info.name}".encode()).hexdigest()
            yield InputFile(
                name=f"{path.name}:{info.name}",
                size=info.size,
                open=lambda info=info: archive.extractfile(info),
                fingerprint=lambda key=key: key,
            )


def _tree(root: Path, suffixes: tuple[str, ...]) -> Iterator[InputFile]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames):
            if wanted(filename, suffixes):
                candidate = Path(dirpath, filename)
                if candidate.is_file():
                    yield _plain(candidate)


def iter_input_files(paths: list[Path], suffixes: tuple[str, ...] = (".jsonl",)) -> Iterator[InputFile]:
    """Every file to read under ``paths``, in a stable order. Archives are read without unpacking."""
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if path.is_dir():
            yield from _tree(path, suffixes)
        elif path.name.lower().endswith(".zip"):
            yield from _zip_members(path, suffixes)
        elif is_archive(path):
            yield from _tar_members(path, suffixes)
        else:
            yield _plain(path)


def total_size(paths: list[Path]) -> int:
    """Bytes the import will read: plain files' sizes, or an archive's own size (for progress)."""
    total = 0
    for path in paths:
        path = Path(path)
        if path.is_dir():
            total += sum(f.size for f in _tree(path, (".jsonl",)))
        elif path.exists():
            total += path.stat().st_size
    return total
