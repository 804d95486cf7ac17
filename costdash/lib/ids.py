"""A database id read from a request's form or query string, one rule everywhere.

``str.isdigit()`` is not that rule: it also takes "²" (int() then raises: a 500) and "٣" (int()
reads it as 3). An id is 1 to 19 ASCII digits within a bigint's range; anything else is a bad
request (400), never a lookup of some other number and never a 500.
"""
from __future__ import annotations

from django.core.exceptions import BadRequest

MAX_ID = 2**63 - 1  # PostgreSQL bigint


def id_from(text: object) -> int | None:
    """The id ``text`` spells in ASCII digits, or None when it spells none (empty, signs, spaces,
    non-ASCII digits, out of range)."""
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def id_or_400(text: object, name: str) -> int:
    """``id_from(text)``, or BadRequest (Django answers 400) naming the parameter."""
    value = id_from(text)
    if value is None:
        raise BadRequest(f"{name} must be a record id (digits 0-9).")
    return value
