"""Failed API calls (parsers.base.ParsedFailure): stored as errors of their source, never as requests.

A failed call is not billed: LiteLLM writes a SpendLogs row (and a failure payload) for every 429,
529 overloaded, 500 or prompt-too-long, with ``spend`` 0 and ``completion_tokens`` 0 but a
``prompt_tokens`` that is LiteLLM's own estimate of the request's messages; Claude Code's OTel
logs an ``api_error`` event. Each becomes one FailedCall row keyed by the record's dedupe key,
written with insert-ignore: a failure read again (the same file, the same rows in another format,
a callback sent twice) changes nothing. The days of new rows are marked dirty, so the day's
DailyError rows are rebuilt by the same recompute as its DailyCost rows.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from costdash.accounts.services import IdentityMap
from costdash.lib.dates import reporting_day, zone
from costdash.pricing.rates import normalize_model

from .models import FailedCall
from .parsers.base import ParsedFailure

CHUNK = 1000
LABEL = "{n:,} failed call{s} (not billed)"


@dataclass
class FailedResult:
    seen: int = 0  # failures read (a key read twice in one call counts once)
    new: int = 0  # of those, not stored before
    dirty: set = field(default_factory=set)  # (developer id, day) of the new rows


def failed_calls_label(n: int) -> str:
    """How an import result names its failed calls: "3 failed calls (not billed)"; "" for none."""
    return LABEL.format(n=n, s="" if n == 1 else "s") if n else ""


def failed_calls_write(
    failures: Iterable[tuple[str, ParsedFailure]], *, batch_id: int | None, identities: IdentityMap, tz: str,
    mark_dirty: Callable[[set], None],
) -> FailedResult:
    """Store (source, failure) pairs inside the caller's transaction, each key once (the first copy
    stored wins: a failure has nothing that grows), and mark the developer-days of the new rows
    dirty with ``mark_dirty``. ``identities`` resolves who each names (the source's own terms)."""
    zone_info = zone(tz) if isinstance(tz, str) else tz
    rows: dict[str, FailedCall] = {}
    for source, f in failures:
        identity_id = developer_id = None
        if f.identity or f.email:
            identity_id, developer_id = identities.resolve(source, f.identity, f.email)
        rows[f.key] = FailedCall(
            key=f.key, source=source, batch_id=batch_id, developer_id=developer_id, identity_id=identity_id,
            timestamp=f.timestamp, model=normalize_model(f.raw_model) if f.raw_model else "",
            raw_model=f.raw_model, error=f.error,
        )
    result = FailedResult(seen=len(rows))
    keys = sorted(rows)
    for i in range(0, len(keys), CHUNK):
        chunk = keys[i : i + CHUNK]
        stored = set(FailedCall.objects.filter(key__in=chunk).values_list("key", flat=True))
        new = [rows[key] for key in chunk if key not in stored]
        FailedCall.objects.bulk_create(new, ignore_conflicts=True)  # a concurrent writer's copy wins
        result.new += len(new)
        result.dirty.update(
            (row.developer_id, reporting_day(row.timestamp, zone_info)) for row in new if row.developer_id
        )
    mark_dirty(result.dirty)
    return result
