"""Pricing writes and the process-wide rate table.

- ``pricing_sync_rate_file`` loads the checked-in rate file into ModelPrice (run after every migrate).
- ``rate_table`` is the RateTable that ``cost_of`` uses when it is not handed one.
- ``model_price_save`` / ``model_price_delete``: an admin's rows; each change reprices its model
  (``model_prices_changed``).
"""
from __future__ import annotations

from pathlib import Path
import threading
import time
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction

from costdash.pricing.models import ModelPrice
from costdash.pricing.rates import Rate, RateTable, read_rate_file

# Fields the file owns on a row; the key fields (model, speed, min_input_tokens, effective_from) find it.
_SYNCED_FIELDS = (
    "input",
    "cache_write_5m",
    "cache_write_1h",
    "cache_read",
    "output",
    "us_multiplier",
    "effective_until",
    "confidence",
    "note",
)

# A process keeps its table at most this long, so an admin edit made in another process (web vs
# Celery worker) is seen within a minute even though only the editing process is invalidated.
RATE_TABLE_MAX_AGE = 60.0


class SyncResult(NamedTuple):
    """What a rate-file sync did, row by row."""

    added: int = 0
    updated: int = 0
    removed: int = 0  # file rows whose key is no longer in the file
    unchanged: int = 0
    shadowed: int = 0  # file rows skipped because an admin-added row holds the same key

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.removed


def pricing_sync_rate_file(path: Path | str | None = None, using: str = DEFAULT_DB_ALIAS) -> int:
    """Upsert the rate file's rows into ModelPrice; return how many rows were added, updated or removed.

    Idempotent: a second run returns 0 and writes nothing. See ``pricing_sync_rate_file_report``.
    """
    return pricing_sync_rate_file_report(path, using).changed


def pricing_sync_rate_file_report(path: Path | str | None = None, using: str = DEFAULT_DB_ALIAS) -> SyncResult:
    """Make ModelPrice's file rows equal the rate file (default: the checked-in rates.toml).

    Rows match on (model, speed, min_input_tokens, effective_from), a NULL effective_from matching
    NULL. A row is saved only when a value differs. File rows whose key left the file are deleted
    (the file is the truth for its rows). Admin-added rows are never changed or deleted; where one
    holds a file row's key, it stays in force and the file row is counted as ``shadowed``.
    """
    parsed = read_rate_file(path)
    with transaction.atomic(using=using):
        _lock_prices(using)
        existing = list(ModelPrice.objects.using(using))
        file_rows = {_key(row): row for row in existing if row.from_rate_file}
        admin_keys = {_key(row) for row in existing if not row.from_rate_file}
        counts = {"added": 0, "updated": 0, "unchanged": 0, "shadowed": 0}
        for rate in parsed.rates:
            row = file_rows.pop(rate.key, None)
            if row is None and rate.key in admin_keys:
                counts["shadowed"] += 1
            else:
                counts[_upsert(row, rate, using)] += 1
        for stale in file_rows.values():
            stale.delete()
    result = SyncResult(removed=len(file_rows), **counts)
    if result.changed:
        rate_table_invalidate()  # this connection sees the new rows already
        transaction.on_commit(rate_table_invalidate, using=using)  # and everyone once committed
    return result


def _lock_prices(using: str) -> None:
    """Serialise concurrent syncs (two containers migrating at once) on PostgreSQL.

    The unique constraint cannot stop duplicates when effective_from is NULL (NULLs are distinct),
    so two syncs must not interleave. Reads stay allowed. SQLite serialises writers by itself.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(ModelPrice._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


def _key(row: ModelPrice) -> tuple:
    return (row.model, row.speed, row.min_input_tokens, row.effective_from)


def _upsert(row: ModelPrice | None, rate: Rate, using: str) -> str:
    """Create or refresh one file row; return "added", "updated" or "unchanged"."""
    values = {name: getattr(rate, name) for name in _SYNCED_FIELDS}
    if row is None:
        model, speed, min_input_tokens, effective_from = rate.key
        ModelPrice.objects.using(using).create(
            model=model,
            speed=speed,
            min_input_tokens=min_input_tokens,
            effective_from=effective_from,
            from_rate_file=True,
            **values,
        )
        return "added"
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if not changed:
        return "unchanged"
    for name in changed:
        setattr(row, name, values[name])
    row.save(using=using, update_fields=changed)
    return "updated"


# ------------------------------------------------------------------------------------------ the table

_table_lock = threading.Lock()
_table: tuple[RateTable, float] | None = None  # (table, time.monotonic() when built)


def rate_table() -> RateTable:
    """The process-wide RateTable built from ModelPrice, rebuilt after invalidation or RATE_TABLE_MAX_AGE.

    Code that must see a just-added row in another process (a recompute after an admin added a
    price) should call ``rate_table_invalidate()`` first.
    """
    global _table
    cached = _table
    if cached is not None and time.monotonic() - cached[1] < RATE_TABLE_MAX_AGE:
        return cached[0]
    with _table_lock:
        cached = _table
        if cached is None or time.monotonic() - cached[1] >= RATE_TABLE_MAX_AGE:
            cached = (RateTable.from_db(), time.monotonic())
            _table = cached
        return cached[0]


def rate_table_invalidate() -> None:
    """Forget the cached table; the next ``rate_table()`` reads ModelPrice again."""
    global _table
    with _table_lock:
        _table = None


# ---------------------------------------------------------------------------------- an admin's rows


class PriceRowExists(Exception):
    """A row with the same model, speed, tier and first day is there already (added at the same moment)."""


def model_price_save(price: ModelPrice, *, before_model: str | None = None) -> ModelPrice:
    """Save an admin-added row (new or corrected), then reprice its model's events and recompute their days
    (``before_model`` too, when a correction moved the row to another model). Rate-file rows are the file's:
    refused with ValueError. Raises PriceRowExists when the row's key was taken meanwhile."""
    if price.from_rate_file:
        raise ValueError("A row from the rate file is changed in rates.toml, not here.")
    try:
        with transaction.atomic():
            price.save()
    except IntegrityError as exc:
        raise PriceRowExists(str(price)) from exc
    model_prices_changed(sorted({price.model, before_model} - {None}))
    return price


def model_price_delete(price: ModelPrice) -> None:
    """Delete an admin-added row and reprice its model (the file's row, if any, applies again)."""
    if price.from_rate_file:
        raise ValueError("A row from the rate file cannot be deleted: the next migrate would bring it back.")
    price.delete()
    model_prices_changed([price.model])


def model_prices_changed(models: list[str]) -> None:
    """After rows of ``models`` were saved or deleted: drop cached tables, then reprice those models' events and
    recompute their days (a Celery task, once the change commits). The Prices page and the Django admin both
    end here."""
    from costdash.ingest.tasks import usage_events_reprice  # ingest imports pricing

    rate_table_invalidate()  # this request's connection already sees the change
    transaction.on_commit(rate_table_invalidate)  # a table rebuilt mid-transaction elsewhere is stale
    if models:
        transaction.on_commit(lambda: usage_events_reprice.delay(models))
