"""What every parser yields: parsed requests and rejected lines.

A parser is a module in this package with:
- ``SOURCE``: its source name (also the ``UsageEvent.source`` value), e.g. "litellm_spendlogs";
- ``detect(head: bytes, name: str) -> bool``: whether a file is this format, from its name and
  its first 64 KiB (cheap; formats are told apart by their own keys or columns);
- ``parse(stream, name, stats, on_bytes=None) -> Iterator[ParsedRequest | Rejected]``: every
  request in a binary stream, and a ``Rejected`` (file, line or row number, reason naming the
  field) for each bad record; ``stats`` counts lines/records read (``lines``), records with usage
  (``usage_lines``) and ``bytes``; ``on_bytes(n)`` is told of progress.
A parser of aggregates (daily reports, metrics) yields ``ParsedAggregate`` (usage summed over a
bucket), ``ParsedActivity`` (sessions, lines of code...) and ``ParsedBilled`` (billed cost) instead
of, or as well as, ``ParsedRequest``; their ``key`` is the source's natural key (namespaced like
"anthropic_usage:…"), so a bucket fetched again replaces the stored one.
Register it in ``PARSERS`` (parsers/__init__.py). Keys: ``dedupe_key`` is namespaced by source
("cc:", "litellm:", "otel:") and stable across re-imports; ``request_id`` (Anthropic's "req_…")
and ``message_id`` ("msg_…") are filled wherever the source has them, so the same request can be
matched across sources.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
import os


def _env_bytes(name: str, default: int) -> int:
    """A byte count from the environment (parsers also run in worker processes without Django)."""
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


# A line (a transcript line, an NDJSON record, an OTLP body, a CSV line) longer than this is
# skipped without being held, as one Rejected naming its length; a CSV field likewise.
MAX_LINE_BYTES = _env_bytes("COSTDASH_MAX_LINE_BYTES", 16 * 1024 * 1024)


def too_long(size: int, limit: int) -> str:
    """The reason a line of ``size`` bytes is rejected."""
    return f"line is {size:,} bytes, over the {limit:,}-byte limit"


@dataclass(slots=True)
class ParsedRequest:
    """One API request as a source reported it, before identity mapping and pricing."""

    dedupe_key: str
    timestamp: datetime
    raw_model: str
    session_id: str = ""
    project: str = ""
    request_id: str = ""
    message_id: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0
    web_search_requests: int = 0
    service_tier: str = ""
    is_batch: bool = False
    speed: str = ""
    inference_geo: str = ""
    reported_cost: Decimal | None = None
    # Who, in the source's own terms (a LiteLLM user, an account uuid, an API key name); empty for
    # transcripts, whose uploader names the developer. ``email`` when the source gives one: an
    # identity whose email matches a developer's is linked to them automatically.
    identity: str = ""
    email: str = ""
    # What the request is charged on besides its developer (parsers/dimensions.py): None for none.
    dimensions: dict | None = None


@dataclass(slots=True)
class ParsedAggregate:
    """Usage summed over a bucket (a UTC day, hour or minute, or one metric interval)."""

    key: str
    start: datetime  # the bucket's start, aware
    width: str  # "1d", "1h", "1m", or "" for one metric interval (placed at ``start``)
    raw_model: str
    identity: str = ""  # who, in the source's terms; "" when the source names nobody
    email: str = ""
    workspace: str = ""
    api_key: str = ""  # key id or display name, never a secret
    service_tier: str = ""
    context_window: str = ""
    inference_geo: str = ""
    speed: str = ""
    is_batch: bool = False
    input_tokens: int = 0  # uncached
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0
    web_search_requests: int = 0
    cache_split_known: bool = True  # False: the source gave writes without a 5m/1h split
    requests: int | None = None
    reported_cost: Decimal | None = None  # USD


@dataclass(slots=True)
class ParsedActivity:
    """What a developer did in a bucket: Claude Code sessions, lines, commits, PRs, edit decisions."""

    key: str
    start: datetime
    width: str
    identity: str = ""
    email: str = ""
    sessions: int = 0
    lines_added: int = 0
    lines_removed: int = 0
    commits: int = 0
    pull_requests: int = 0
    edits_accepted: int = 0
    edits_rejected: int = 0
    active_seconds: Decimal = Decimal(0)
    detail: dict = field(default_factory=dict)


@dataclass(slots=True)
class ParsedBilled:
    """One line of Anthropic's billed cost for a UTC day (USD, not cents)."""

    key: str
    day: date
    amount: Decimal
    currency: str = "USD"
    workspace: str = ""
    description: str = ""
    cost_type: str = ""
    raw_model: str = ""
    token_type: str = ""
    service_tier: str = ""
    context_window: str = ""
    inference_geo: str = ""


@dataclass(slots=True)
class ParsedFailure:
    """One failed API call a source logged (a 429, a 529 overloaded, a 500, a prompt too long...):
    not a request and never billed, whatever tokens the source estimated for it; counted as an
    error of its source. ``key`` is namespaced like a request's dedupe key ("litellm:…", "otel:…")
    and stable across re-imports, so a failure seen again is stored once. ``error``: a short
    label (the status code and error class when the source gives them)."""

    key: str
    timestamp: datetime
    raw_model: str = ""
    error: str = ""
    identity: str = ""
    email: str = ""


Record = ParsedAggregate | ParsedActivity | ParsedBilled | ParsedFailure


@dataclass(slots=True)
class Rejected:
    """A line or row that could not be used, and why, named by file and line.

    ``count`` > 1: a run of that many consecutive lines or records (from ``line`` on) rejected for
    the same reason, held as one (a flood of blank lines or empty records is not a row each).
    """

    file: str
    line: int
    reason: str
    count: int = 1

    def as_dict(self) -> dict:
        if self.count == 1:
            return {"file": self.file, "line": self.line, "reason": self.reason}
        last = self.line + self.count - 1
        return {"file": self.file, "line": self.line, "count": self.count,
                "reason": f"lines {self.line:,}-{last:,}: {self.count:,} × {self.reason}"}


def summarised(items: Iterable) -> Iterator:
    """``items`` with each run of consecutive Rejected of one file and reason, numbered one after
    the other, folded into one Rejected with its ``count`` (everything else passes unchanged).
    Memory stays flat however long the run: what a parser yields per bad line is held once."""
    held: Rejected | None = None
    for item in items:
        if type(item) is Rejected:
            if (held is not None and item.reason == held.reason and item.file == held.file
                    and item.line == held.line + held.count and item.line):
                held.count += item.count
                continue
            if held is not None:
                yield held
            held = item
            continue
        if held is not None:
            yield held
            held = None
        yield item
    if held is not None:
        yield held


@dataclass
class ParseStats:
    lines: int = 0
    usage_lines: int = 0
    synthetic: int = 0
    bytes: int = 0
    rejected: Counter = field(default_factory=Counter)


class RowError(ValueError):
    """A row whose field has the wrong type or value; the message names the field."""


def iso_time(text: str, field: str) -> datetime:
    """An ISO-8601 time that names its zone (a time without one is ambiguous: refused)."""
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        raise RowError(f"{field} is not an ISO-8601 time: {text[:40]!r}") from None
    if ts.tzinfo is None:
        raise RowError(f"{field} has no time zone: {text[:40]!r}")
    return ts
