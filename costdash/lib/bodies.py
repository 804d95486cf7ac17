"""Reading an HTTP request body within bounds, before anything decodes it.

``request_body(request, caps)`` returns the body's bytes (gzip inflated) or raises ``BodyError``
(an HTTP status and a message naming the limit). Its contract:

1. The bytes as sent are capped (``caps.sent``): a declared Content-Length over it is refused
   before reading, and reading stops one byte past it whatever was declared.
2. A body sent with ``Transfer-Encoding: chunked`` has no Content-Length; Django then reads it as
   empty, so it is read from the WSGI server's own stream (gunicorn decodes the chunks and ends
   it at the last one), under the same cap.
3. ``Content-Encoding: gzip`` is inflated piece by piece, at most ``PIECE`` bytes of output at a
   time, and refused as soon as the output passes ``caps.inflated`` or, once past
   ``caps.ratio_floor``, ``caps.ratio`` times the compressed bytes consumed so far: a bomb costs
   at most one piece past its cap, never its full size. Concatenated gzip members are read in turn.
4. ``structure_check(data, caps)`` then bounds what a parser would build from the bytes: at most
   ``caps.lines`` lines and ``caps.objects`` JSON objects (counted as ``{`` bytes, an over-count),
   so 50 MB of ``{}`` or of blank lines is refused in milliseconds instead of becoming tens of
   millions of Python objects.

Django-free apart from reading ``request.META``/``request.headers``, so other readers can share it.
"""
from __future__ import annotations

from dataclasses import dataclass
import zlib

READ = 256 * 1024  # bytes read from the socket at a time
PIECE = 1024 * 1024  # bytes of inflated output produced at a time


class BodyError(ValueError):
    """A body that cannot be read within its bounds: ``status`` is the HTTP answer (4xx)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Caps:
    sent: int  # bytes on the wire
    inflated: int  # bytes after gzip
    ratio: int  # inflated bytes per compressed byte, checked once past ratio_floor
    ratio_floor: int = 1024 * 1024
    lines: int = 1_000_000
    objects: int = 1_000_000


def declared_length(request) -> int | None:
    """Content-Length as an int, None when absent; a malformed one is a 400."""
    raw = request.META.get("CONTENT_LENGTH") or ""
    if not raw.strip():
        return None
    try:
        length = int(raw)
    except ValueError:
        raise BodyError(400, f"Content-Length {raw[:40]!r} is not a number") from None
    if length < 0:
        raise BodyError(400, "Content-Length is negative")
    return length


def raw_pieces(request, limit: int):
    """The body as sent, in pieces, refused (413) past ``limit`` bytes."""
    length = declared_length(request)
    if length is not None and length > limit:
        raise BodyError(413, f"body of {length:,} bytes is over the {limit:,}-byte limit")
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    # Without a length Django's own stream is empty; the server's stream ends the chunked body.
    stream = request.META["wsgi.input"] if length is None and chunked else request
    size = 0
    while piece := stream.read(READ):
        size += len(piece)
        if size > limit:
            raise BodyError(413, f"body is over the {limit:,}-byte limit")
        yield piece


def request_body(request, caps: Caps) -> bytes:
    """The body's bytes, gzip inflated, within ``caps`` (see the module docstring)."""
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("gzip", "identity", ""):
        raise BodyError(415, f"Content-Encoding {encoding!r} is not supported (use gzip or none)")
    pieces = raw_pieces(request, caps.sent)
    if encoding == "gzip":
        return inflate(pieces, caps)
    return b"".join(pieces)


def inflate(pieces, caps: Caps) -> bytes:
    """gzip ``pieces`` inflated, refused (413) as soon as past the size or ratio cap."""
    out: list[bytes] = []
    state = {"sent": 0, "size": 0}
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        for piece in pieces:
            state["sent"] += len(piece)
            data = piece
            while data:
                inflater = _inflate_some(inflater, data, out, state, caps)
                data = inflater.unconsumed_tail
                if inflater.eof and inflater.unused_data:  # another gzip member follows
                    data, inflater = inflater.unused_data, zlib.decompressobj(16 + zlib.MAX_WBITS)
        if state["sent"] and not inflater.eof:
            raise BodyError(400, "body is not valid gzip: it ends before its last member does")
    except zlib.error as exc:
        raise BodyError(400, f"body is not valid gzip: {exc}") from None
    return b"".join(out)


def _inflate_some(inflater, data: bytes, out: list[bytes], state: dict, caps: Caps):
    """Inflate at most PIECE bytes of ``data`` into ``out``, checking the caps on the total."""
    chunk = inflater.decompress(data, PIECE)
    state["size"] += len(chunk)
    if state["size"] > caps.inflated:
        raise BodyError(413, f"body inflates past the {caps.inflated:,}-byte limit")
    if state["size"] > caps.ratio_floor and state["size"] > caps.ratio * state["sent"]:
        raise BodyError(413, f"body inflates more than {caps.ratio}:1 (a compression bomb?)")
    out.append(chunk)
    return inflater


def structure_check(data: bytes, caps: Caps, *, lines: bool = True, objects: bool = True) -> None:
    """Refuse (413) a body with more lines or JSON objects than ``caps`` allow (see contract 4)."""
    if lines and data.count(b"\n") > caps.lines:
        raise BodyError(413, f"body has over {caps.lines:,} lines: send fewer per request")
    if objects and data.count(b"{") > caps.objects:
        raise BodyError(413, f"body has over {caps.objects:,} JSON objects: send fewer per request")
