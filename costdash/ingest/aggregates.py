"""Writes for records that are not requests: daily usage aggregates, activity and billed cost.

Aggregates are keyed by their source's natural key (bucket start plus group-by values), and a
source fetched again reports a bucket whole, so a stored record is replaced by a new copy, never
added to: re-importing the same report changes nothing, and a late, larger bucket overwrites the
partial one. Only records that are new or changed are written, and the developer-days they
leave or land on are marked dirty.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from costdash.accounts.services import IdentityMap
from costdash.lib.dates import bucket_day
from costdash.pricing.rates import RateTable, cost_of, normalize_model
from costdash.rollups.services import daily_cost_mark_dirty

from .failed_calls import failed_calls_write
from .models import ActivityRecord, BilledCost, UsageAggregate
from .parsers.base import ParsedActivity, ParsedAggregate, ParsedBilled, ParsedFailure, Record
from .rows import usage_of

REPRICE_FIELDS = (
    "key", "developer_id", "start", "width", "model", "input_tokens", "output_tokens", "cache_write_5m_tokens",
    "cache_write_1h_tokens", "cache_read_tokens", "web_search_requests", "speed", "inference_geo", "is_batch", "cost",
)

AGGREGATE_FIELDS = (
    "source", "developer_id", "identity_id", "start", "width", "model", "raw_model", "workspace", "api_key",
    "service_tier", "context_window", "inference_geo", "speed", "is_batch", "input_tokens", "output_tokens",
    "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens", "web_search_requests",
    "cache_split_known", "requests", "cost", "reported_cost",
)
ACTIVITY_FIELDS = (
    "source", "developer_id", "identity_id", "start", "width", "sessions", "lines_added", "lines_removed",
    "commits", "pull_requests", "edits_accepted", "edits_rejected", "active_seconds", "detail",
)
BILLED_FIELDS = (
    "source", "day", "workspace", "description", "cost_type", "model", "raw_model", "token_type", "service_tier",
    "context_window", "inference_geo", "amount", "currency",
)
CHUNK = 1000


@dataclass
class RecordsResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    unpriced: Counter = field(default_factory=Counter)
    failed: int = 0  # failed calls read (ingest.failed_calls): errors, not in new/updated/unchanged


def records_write(
    records: Iterable[tuple[str, Record]], *, batch_id: int | None, identities: IdentityMap, table: RateTable, tz
) -> RecordsResult:
    """Store (source, record) pairs inside the caller's transaction; a later copy of a key in the
    same call wins. Returns the counts; the touched developer-days are marked dirty. Failed
    calls (ParsedFailure) go to ingest.failed_calls, counted in ``failed`` alone."""
    rows: dict[type, dict[str, dict]] = {UsageAggregate: {}, ActivityRecord: {}, BilledCost: {}}
    failures = []
    for source, record in records:
        if type(record) is ParsedFailure:
            failures.append((source, record))
            continue
        model, values = _row(source, record, identities, table)
        rows[model][record.key] = values
    result, dirty = RecordsResult(), set()
    for model, by_key in rows.items():
        if by_key:
            _write(model, by_key, batch_id, result, dirty, tz)
    daily_cost_mark_dirty(dirty)
    if failures:
        written = failed_calls_write(
            failures, batch_id=batch_id, identities=identities, tz=tz, mark_dirty=daily_cost_mark_dirty
        )
        result.failed = written.seen
    return result


def _row(source: str, record: Record, identities: IdentityMap, table: RateTable) -> tuple[type, dict]:
    if isinstance(record, ParsedBilled):
        values = {f: getattr(record, f) for f in BILLED_FIELDS if hasattr(record, f)}
        values.update(source=source, model=normalize_model(record.raw_model) if record.raw_model else "",
                      raw_model=record.raw_model[:200])
        return BilledCost, values
    identity_id = developer_id = None
    if record.identity or record.email:
        identity_id, developer_id = identities.resolve(source, record.identity, record.email)
    if isinstance(record, ParsedActivity):
        values = {f: getattr(record, f) for f in ACTIVITY_FIELDS if hasattr(record, f)}
        values.update(source=source, developer_id=developer_id, identity_id=identity_id)
        return ActivityRecord, values
    assert isinstance(record, ParsedAggregate), type(record)
    usage = usage_of(record)
    values = {f: getattr(record, f) for f in AGGREGATE_FIELDS if hasattr(record, f)}
    values.update(
        source=source, developer_id=developer_id, identity_id=identity_id, model=usage.model,
        raw_model=record.raw_model[:200], cost=cost_of(usage, record.start, table),
    )
    return UsageAggregate, values


def _write(model, by_key: dict[str, dict], batch_id, result: RecordsResult, dirty: set, tz) -> None:
    fields = {UsageAggregate: AGGREGATE_FIELDS, ActivityRecord: ACTIVITY_FIELDS, BilledCost: BILLED_FIELDS}[model]
    keys = sorted(by_key)
    for i in range(0, len(keys), CHUNK):
        chunk = keys[i : i + CHUNK]
        stored = {row["key"]: row for row in model.objects.filter(key__in=chunk).values("key", *fields)}
        changed = []
        for key in chunk:
            values, old = by_key[key], stored.get(key)
            if old is not None and all(old[f] == values[f] for f in fields):
                result.unchanged += 1
                continue
            if old is None:
                result.new += 1
            else:
                result.updated += 1
            changed.append(model(key=key, batch_id=batch_id, **values))
            if model is not BilledCost:
                for row in (old, values):
                    if row and row["developer_id"]:
                        dirty.add((row["developer_id"], bucket_day(row["start"], row["width"], tz)))
            if model is UsageAggregate and values["cost"] is None:
                result.unpriced[values["model"]] += 1
        model.objects.bulk_create(
            changed, update_conflicts=True, unique_fields=["key"], update_fields=[*fields, "batch", "updated_at"]
        )


def usage_aggregates_reprice(models: list[str] | None, table: RateTable, tz) -> tuple[int, set]:
    """Price aggregates again at ``table`` (all of ``models``, or every unpriced one), as
    services.usage_events_reprice does events: returns (aggregates changed, their developer-days).

    The days of ``models``' aggregates with cache writes of unknown split are returned even when
    no stored cost changed: their rollup prices the recovered split at the current rates.
    """
    rows = UsageAggregate.objects.filter(model__in=models) if models else UsageAggregate.objects.filter(cost=None)
    changed, dirty = [], set()
    for row in rows.only(*REPRICE_FIELDS, "cache_split_known").iterator(chunk_size=2000):
        cost = cost_of(usage_of(row, model=row.model), row.start, table)
        moved = cost != row.cost
        if moved:
            row.cost = cost
            changed.append(row)
        if row.developer_id and (moved or not row.cache_split_known):
            dirty.add((row.developer_id, bucket_day(row.start, row.width, tz)))
    UsageAggregate.objects.bulk_update(changed, ["cost"], batch_size=1000)
    return len(changed), dirty
