"""A parsed request becomes a priced event row (a tuple in COLUMNS order) and its day.

The same builder runs in the importing process and in parse worker processes, so a request
is priced and assigned its org-local day once, wherever it was parsed. Nothing here may
import Django models: worker processes run it without setting Django up.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from costdash.lib.dates import reporting_day, zone
from costdash.pricing.rates import RateTable, Usage, cost_of, normalize_model

from .parsers.base import ParsedRequest
from .parsers.dimensions import canonical

# The columns of a UsageEvent row, in the order rows are built and copied.
COLUMNS = (
    "dedupe_key", "source", "batch_id", "developer_id", "identity_id", "timestamp", "session_id",
    "project", "model", "raw_model", "request_id", "message_id", "input_tokens", "output_tokens",
    "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens", "web_search_requests",
    "service_tier", "is_batch", "speed", "inference_geo", "cost", "reported_cost", "dimensions",
)
# What a larger copy of the same request may change. Time, person and batch stay as first seen,
# so a replaced row never moves to another day's rollup.
UPDATED = (
    "input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
    "cache_read_tokens", "web_search_requests", "cost", "reported_cost",
)

# A pending request: its output tokens (to keep the largest copy), its row (a tuple, or a line
# of PostgreSQL COPY text), its org-local day, its model when it has no price ("" if priced),
# and its developer's id (None while its identity is unassigned).
Entry = tuple[int, tuple | bytes, date, str, int | None]


def usage_of(r, model: str | None = None) -> Usage:
    """The pricing input of a parsed request or a stored event (they share these field names)."""
    return Usage(
        model=model or normalize_model(r.raw_model),
        input_tokens=r.input_tokens,
        output_tokens=r.output_tokens,
        cache_write_5m_tokens=r.cache_write_5m_tokens,
        cache_write_1h_tokens=r.cache_write_1h_tokens,
        cache_read_tokens=r.cache_read_tokens,
        web_search_requests=r.web_search_requests,
        speed=r.speed,
        inference_geo=r.inference_geo,
        is_batch=r.is_batch,
    )


@dataclass(frozen=True)
class RowBuilder:
    """Everything a row needs besides the request: which batch, the prices, the time zone, and
    for transcripts (whose lines name nobody) the source and person the uploader named."""

    batch_id: int
    table: RateTable
    tz_name: str
    copy_text: bool = False  # build rows as COPY text lines (PostgreSQL) instead of tuples
    source: str = ""
    developer_id: int | None = None
    identity_id: int | None = None

    def entry(self, r: ParsedRequest) -> Entry:
        """The entry of a request whose person is the one this builder was made for."""
        return self.entry_for(r, self.source, self.developer_id, self.identity_id)

    def entry_for(self, r: ParsedRequest, source: str, developer_id: int | None, identity_id: int | None) -> Entry:
        row, day, unpriced_model = self._row(r, source, developer_id, identity_id)
        return r.output_tokens, copy_line(row) if self.copy_text else row, day, unpriced_model, developer_id

    def unowned(self, r: ParsedRequest, source: str) -> Unowned:
        """A request's entry before its person is known (a parse worker cannot resolve identities):
        (output tokens, day as an ordinal, model if unpriced, head, tail). With ``ids``, the
        ``person_ids`` of its person, ``head + ids + tail`` is the row entry_for() would build."""
        row, day, unpriced_model = self._row(r, source, None, None)
        if self.copy_text:
            head, tail = copy_head(row), copy_tail(row)
        else:
            head, tail = row[:3], row[5:]
        return r.output_tokens, day.toordinal(), unpriced_model, head, tail

    def person_ids(self, developer_id: int | None, identity_id: int | None) -> bytes | tuple:
        """What joins an Unowned's head and tail for this person (see unowned())."""
        if self.copy_text:
            return f"{copy_number(developer_id)}\t{copy_number(identity_id)}\t".encode()
        return developer_id, identity_id

    def _row(self, r: ParsedRequest, source: str, developer_id, identity_id) -> tuple[tuple, date, str]:
        """(row in COLUMNS order, org-local day, model if unpriced else "")."""
        usage = usage_of(r)
        cost = cost_of(usage, r.timestamp, self.table)
        row = (
            r.dedupe_key, source, self.batch_id, developer_id, identity_id,
            r.timestamp, r.session_id, r.project, usage.model, r.raw_model[:200], r.request_id, r.message_id,
            r.input_tokens, r.output_tokens, r.cache_write_5m_tokens, r.cache_write_1h_tokens,
            r.cache_read_tokens, r.web_search_requests, r.service_tier, r.is_batch, r.speed,
            r.inference_geo, cost, r.reported_cost,
            # None for most requests (transcripts carry none): nothing to encode on the hot path.
            canonical(r.dimensions) if r.dimensions else None,
        )
        return row, reporting_day(r.timestamp, zone(self.tz_name)), "" if cost is not None else usage.model


# A request's entry without its person, as parse workers return it: see RowBuilder.unowned().
Unowned = tuple[int, int, str, bytes | tuple, bytes | tuple]


# NUL cannot be stored in a PostgreSQL text column at all, so it is dropped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": None})
NULL = "\\N"


def copy_text(value: str) -> str:
    """A string in COPY text format. Almost every value needs no escaping, so check first."""
    if value.isprintable() and "\\" not in value:  # tab, newline, CR and NUL are not printable
        return value
    return value.translate(_COPY_ESCAPES)


def copy_number(value) -> str:
    if value is None:
        return NULL
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def copy_line(row: tuple) -> bytes:
    """A row (COLUMNS order) as one line of COPY text. Built where the row is parsed (often a
    worker process), so the importing process only joins bytes and sends them."""
    return copy_head(row) + f"{copy_number(row[3])}\t{copy_number(row[4])}\t".encode() + copy_tail(row)


def copy_head(row: tuple) -> bytes:
    """The COPY text of a row's columns before its developer and identity ids."""
    return f"{copy_text(row[0])}\t{copy_text(row[1])}\t{copy_number(row[2])}\t".encode()


def copy_tail(row: tuple) -> bytes:
    """The COPY text of a row's columns after its developer and identity ids, and the newline."""
    (ts, session, project, model, raw_model, request_id, message_id, inp, out, w5m, w1h, read, searches, tier,
     is_batch, speed, geo, cost, reported, dimensions) = row[5:]
    texts = session + project + model + raw_model + request_id + message_id + tier + speed + geo
    if texts.isprintable() and "\\" not in texts:  # the usual case: no text needs escaping (copy_text)
        return (
            f"{ts.isoformat()}\t{session}\t{project}\t{model}\t{raw_model}\t{request_id}\t{message_id}\t"
            f"{inp}\t{out}\t{w5m}\t{w1h}\t{read}\t{searches}\t{tier}\t{'t' if is_batch else 'f'}\t{speed}\t{geo}\t"
            f"{copy_number(cost)}\t{copy_number(reported)}\t{NULL if dimensions is None else copy_text(dimensions)}\n"
        ).encode()
    t = copy_text
    return (
        f"{ts.isoformat()}\t{t(session)}\t{t(project)}\t{t(model)}\t"
        f"{t(raw_model)}\t{t(request_id)}\t{t(message_id)}\t{inp}\t{out}\t{w5m}\t{w1h}\t{read}\t{searches}\t"
        f"{t(tier)}\t{'t' if is_batch else 'f'}\t{t(speed)}\t{t(geo)}\t{copy_number(cost)}\t"
        f"{copy_number(reported)}\t{NULL if dimensions is None else t(dimensions)}\n"
    ).encode()


def keep_largest(pending: dict[str, Entry], key: str, entry: Entry) -> None:
    """Hold ``entry`` unless a copy of the same request with at least as much output is held."""
    held = pending.get(key)
    if held is None or entry[0] > held[0]:
        pending[key] = entry
