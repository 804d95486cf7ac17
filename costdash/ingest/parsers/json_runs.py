"""Runs of empty objects in a top-level JSON array, found with bytes operations ahead of ijson.

A flood like ``[{},{},{}, …]`` costs ijson and the parser about 2 µs a record in Python; here a
run of at least MIN_RUN ``{}`` elements is replaced, in the bytes handed to ijson, by one marker
element ``{"<MARKER>": count}``, which json_reader turns back into (number, EmptyRun(count)).

Only a run that is really a list of elements of the top-level array is replaced: the bytes read so
far are tracked for their nesting depth outside strings (strings are removed with one regular
expression per piece, brackets counted with bytes.count), so ``{},{}`` inside a string or inside
a record is left alone. MARKER holds a random key made per process: a file cannot forge it.
"""
from __future__ import annotations

import re
import secrets

MARKER = "costdash-empty-run-" + secrets.token_hex(16)
MIN_RUN = 64  # shorter runs cost little; their Python work is bounded by the bytes they take
_WS = rb"[ \t\n\r]*+"
# Each element with the comma after it (a run ending at "]" leaves its last "{}" to ijson); it
# starts with "{" so that the search skips to each "{" at C speed.
_ONE = rb"\{" + _WS + rb"\}" + _WS + rb","
RUN = re.compile(_ONE + rb"(?:\{\},|" + _WS + _ONE + rb"){%d,}+" % (MIN_RUN - 1))
STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"')  # unrolled: twice as fast as (?:[^"\\]|\\.)*


class ArrayRuns:
    """Rewrites the bytes of one top-level array, piece after piece, as described above."""

    def __init__(self):
        self.depth = 0  # "[" and "{" open, outside strings, before the position tracked to
        self.carry = b""  # the start of a string still open there: '"', or '"\\' (an escape pending)

    def rewrite(self, data: bytes) -> bytes:
        """``data`` (the next piece of the file) with each top-level run of empty objects replaced
        by its marker; the tracking state moves to the end of ``data``."""
        out, copied, tracked = [], 0, 0  # copied: data[:copied] is in out; tracked: state is there
        for match in RUN.finditer(data):
            self._advance(data[tracked:match.start()])
            tracked = match.start()
            if self.carry or self.depth != 1:
                continue  # inside a string or a record: left for ijson, tracked with what follows
            out += (data[copied:match.start()], b'{"%s":%d},' % (MARKER.encode(), match.group().count(b"}")))
            copied = tracked = match.end()  # balanced, no strings: the state is unchanged
        self._advance(data[tracked:])
        return b"".join((*out, data[copied:])) if out else data

    def _advance(self, piece: bytes) -> None:
        """Move the state over ``piece``: strings removed whole, brackets counted on what is left."""
        if not piece:
            return
        text = self.carry + piece if self.carry else piece
        if b'"' not in text:
            self.depth += text.count(b"[") + text.count(b"{") - text.count(b"]") - text.count(b"}")
            self.carry = b""
            return
        bare = STRING.sub(b"", text)
        quote = bare.find(b'"')  # a string still open at the end (see module docstring)
        outside = bare if quote < 0 else bare[:quote]
        self.depth += outside.count(b"[") + outside.count(b"{") - outside.count(b"]") - outside.count(b"}")
        if quote < 0:
            self.carry = b""
        else:  # only whether an escape is pending matters, not the string's text
            tail = bare[quote:]
            self.carry = b'"\\' if (len(tail) - len(tail.rstrip(b"\\"))) % 2 else b'"'
