"""Checks of an uploaded file made in the upload form, before anything is stored or queued."""
from __future__ import annotations

from collections.abc import Iterator
import tarfile
import zipfile

from .files import SUFFIXES, wanted
from .parsers import HEAD_BYTES, claude_code_jsonl, parser_for

MAX_MEMBERS = 200  # archive members looked at: a transcript folder shows one among its first files


def _heads(upload) -> Iterator[tuple[str, bytes]]:
    """(name, first HEAD_BYTES) of the upload, or of each of its first MAX_MEMBERS wanted archive members."""
    name = upload.name.lower()
    upload.seek(0)
    if name.endswith(".zip"):
        with zipfile.ZipFile(upload) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir() and wanted(i.filename, SUFFIXES)]
            for info in infos[:MAX_MEMBERS]:
                with archive.open(info) as member:
                    yield info.filename, member.read(HEAD_BYTES)  # a bounded read, whatever it inflates to
    elif name.endswith((".tar.gz", ".tgz", ".tar")):
        with tarfile.open(fileobj=upload, mode="r:*") as archive:
            seen = 0
            for info in archive:
                if seen >= MAX_MEMBERS:
                    break
                if info.isfile() and wanted(info.name, SUFFIXES):
                    seen += 1
                    yield info.name, archive.extractfile(info).read(HEAD_BYTES)
    else:
        yield upload.name, upload.read(HEAD_BYTES)


def holds_transcripts(upload) -> bool:
    """True when the upload (a file, or a .zip / .tar.gz / .tar of files) holds a Claude Code
    transcript, which names nobody, so the upload must name its developer. An archive that cannot
    be read says False here: the import reports it."""
    try:
        return any(parser_for(head, name) is claude_code_jsonl for name, head in _heads(upload))
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError):
        return False
    finally:
        upload.seek(0)
