"""Counting the messages a protobuf body holds, without decoding it.

Decoded, every message costs a few hundred bytes of memory (upb, then a dict) however few bytes it
was sent in: an empty sub-message is 2 bytes on the wire, so 8 MB of them decode to ~850 MB. This
walks the wire format with the message's descriptor, visiting only fields that are messages, and
stops as soon as the count passes the limit: a bomb costs ``limit`` steps, a real body about one
step per message it holds (a fraction of decoding it).
"""
from __future__ import annotations

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError

VARINT, FIXED64, LEN, START_GROUP, END_GROUP, FIXED32 = range(6)


def _varint(data: bytes, pos: int, end: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise DecodeError("truncated or overlong varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _submessages(descriptor: Descriptor) -> dict[int, Descriptor]:
    return {f.number: f.message_type for f in descriptor.fields if f.type == FieldDescriptor.TYPE_MESSAGE}


def messages_over(data: bytes, descriptor: Descriptor, limit: int) -> bool:
    """Whether ``data`` (a serialized ``descriptor`` message) holds more than ``limit`` messages
    (itself and every nested one). Raises DecodeError on bytes that are not a protobuf message."""
    count, cache = 1, {}
    stack = [(descriptor, 0, len(data))]
    while stack:
        desc, pos, end = stack.pop()
        fields = cache.get(desc)
        if fields is None:
            fields = cache[desc] = _submessages(desc)
        while pos < end:
            key = data[pos]
            if key < 0x80:  # one-byte keys are nearly all of them: no call
                pos += 1
            else:
                key, pos = _varint(data, pos, end)
            kind = key & 7
            if kind == VARINT:
                _, pos = _varint(data, pos, end)
            elif kind == FIXED64:
                pos += 8
            elif kind == FIXED32:
                pos += 4
            elif kind == LEN:
                size = data[pos] if pos < end else 0x80
                if size < 0x80:
                    pos += 1
                else:
                    size, pos = _varint(data, pos, end)
                if pos + size > end:
                    raise DecodeError("a length-delimited field runs past its message")
                inner = fields.get(key >> 3)
                if inner is not None:  # counted when found, so a flat flood stops at the limit
                    count += 1
                    if count > limit:
                        return True
                    stack.append((inner, pos, pos + size))
                pos += size
            else:  # groups are not used by OTLP
                raise DecodeError(f"unexpected wire type {kind}")
            if pos > end:
                raise DecodeError("a field runs past its message")
    return False
