"""A closed month's snapshot as JSON, and the fingerprint of a month's figures.

``encode``/``decode``: any value a MonthlyReport holds (dicts, lists, tuples, Decimal, date, datetime,
the Reconciliation and Tokens dataclasses, None, bool, int, float, str) to JSON and back, so that
``decode(encode(x)) == x``: money is a decimal string (``{"$decimal": "14.875"}``, never a float), a
tuple stays a tuple, a dict whose keys are not all plain strings keeps its keys' types. A type it
does not know is a TypeError at close (never a silent str()).

``rows_fingerprint``: a hash of a month's DailyCost figures grouped by developer (with their team and
cost center), model and source: the same figures give the same hash, a new import, a reprice or a
developer moving team changes it. One grouped query.
"""
from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
import hashlib

from django.db.models import Sum

from costdash.limits.selectors import month_bounds
from costdash.rollups.models import DailyCost
from costdash.rollups.selectors.repricing import Tokens

from .reconciliation import Reconciliation

# The dataclasses a report may hold, by their tag. A new one is added here (decode must rebuild it).
DATACLASSES = {"$tokens": Tokens, "$reconciliation": Reconciliation}
_TAG_OF = {cls: tag for tag, cls in DATACLASSES.items()}
GROUPED_BY = ("developer_id", "developer__team__name", "developer__team__cost_center", "model", "source")
SUMMED = ("cost", "requests", "unpriced_requests", "input_tokens", "output_tokens", "cache_write_5m_tokens",
          "cache_write_1h_tokens", "cache_read_tokens", "web_search_requests")


def encode(value):
    """``value`` as JSON-ready data that ``decode`` turns back into an equal value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, tuple):
        return {"$tuple": [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        if all(isinstance(key, str) and not key.startswith("$") for key in value):
            return {key: encode(item) for key, item in value.items()}
        return {"$items": [[encode(key), encode(item)] for key, item in value.items()]}
    if is_dataclass(value) and type(value) in _TAG_OF:
        return {_TAG_OF[type(value)]: {f.name: encode(getattr(value, f.name)) for f in fields(value)}}
    raise TypeError(f"a closed month's snapshot cannot hold a {type(value).__name__}")


def decode(data):
    """The value ``encode`` made ``data`` from."""
    if isinstance(data, list):
        return [decode(item) for item in data]
    if not isinstance(data, dict):
        return data
    if len(data) == 1:
        (tag, inner), = data.items()
        if tag == "$decimal":
            return Decimal(inner)
        if tag == "$date":
            return date.fromisoformat(inner)
        if tag == "$datetime":
            return datetime.fromisoformat(inner)
        if tag == "$tuple":
            return tuple(decode(item) for item in inner)
        if tag == "$items":
            return {decode(key): decode(item) for key, item in inner}
        if tag in DATACLASSES:
            return DATACLASSES[tag](**{key: decode(item) for key, item in inner.items()})
    return {key: decode(item) for key, item in data.items()}


def encode_fields(obj, skip: tuple[str, ...] = ()) -> dict:
    """A dataclass instance's fields (but ``skip``), encoded, by name."""
    return {f.name: encode(getattr(obj, f.name)) for f in fields(obj) if f.name not in skip}


def decode_fields(cls, data: dict, **overrides):
    """An instance of the dataclass ``cls`` from ``encode_fields``' output. A field the snapshot does
    not have (added to the class since) takes its default; a key the class no longer has is dropped."""
    names = {f.name for f in fields(cls)}
    values = {key: decode(item) for key, item in data.items() if key in names}
    return cls(**(values | overrides))


def rows_fingerprint(month: date) -> str:
    """The sha256 (hex) of ``month``'s DailyCost figures (every developer, the month's org-local days)."""
    since, until = month_bounds(month)
    rows = (DailyCost.objects.filter(day__gte=since, day__lte=until).values(*GROUPED_BY)
            .annotate(**{f"sum_{name}": Sum(name) for name in SUMMED}).order_by(*GROUPED_BY))
    digest = hashlib.sha256(f"{since}:{until}".encode())
    for row in rows.iterator(chunk_size=2000):
        digest.update(repr(tuple(row.values())).encode())
    return digest.hexdigest()


def combined(*parts: str) -> str:
    """One sha256 (hex) of several strings, in order."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()
