"""Write UsageEvents in bulk, keeping for each dedupe key the copy with the most output tokens.

A unique key with insert-ignore would keep the first copy, which under-counts streamed
responses (their output grows line by line). The ON CONFLICT ... DO UPDATE ... WHERE below
replaces a stored row only when the incoming one has more output, so concurrent and
repeated imports converge on the same rows. The syntax is shared by PostgreSQL and SQLite.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection

from .models import UsageEvent

COLUMNS = (
    "dedupe_key", "source", "batch_id", "developer_id", "identity_id", "timestamp", "session_id",
    "project", "model", "raw_model", "request_id", "message_id", "input_tokens", "output_tokens",
    "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens", "web_search_requests",
    "service_tier", "is_batch", "speed", "inference_geo", "cost", "reported_cost",
)
# What a larger copy of the same request may change. Time, person and batch stay as first seen,
# so a replaced row never moves to another day's rollup.
UPDATED = (
    "input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
    "cache_read_tokens", "web_search_requests", "cost", "reported_cost",
)
ROWS_PER_STATEMENT = 1000  # 24 columns: under SQLite's and PostgreSQL's parameter limits


def existing_output(keys: Sequence[str]) -> dict[str, int]:
    """dedupe_key -> stored output_tokens, for those of ``keys`` already stored."""
    found: dict[str, int] = {}
    for i in range(0, len(keys), ROWS_PER_STATEMENT):
        part = keys[i : i + ROWS_PER_STATEMENT]
        found.update(
            UsageEvent.objects.filter(dedupe_key__in=part).values_list("dedupe_key", "output_tokens")
        )
    return found


def upsert_events(rows: Iterable[tuple]) -> None:
    """Insert rows (tuples in COLUMNS order); on a key clash keep whichever has more output."""
    rows = list(rows)
    if not rows:
        return
    table = UsageEvent._meta.db_table
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in COLUMNS)
    updates = ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in UPDATED)
    one = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    ts_at = COLUMNS.index("timestamp")
    adapt_dt = connection.ops.adapt_datetimefield_value
    adapt_dec = connection.ops.adapt_decimalfield_value
    cost_at, reported_at = COLUMNS.index("cost"), COLUMNS.index("reported_cost")
    with connection.cursor() as cursor:
        for i in range(0, len(rows), ROWS_PER_STATEMENT):
            part = rows[i : i + ROWS_PER_STATEMENT]
            params: list = []
            for row in part:
                row = list(row)
                row[ts_at] = adapt_dt(row[ts_at])
                row[cost_at] = adapt_dec(row[cost_at], 24, 12)
                row[reported_at] = adapt_dec(row[reported_at], 24, 12)
                params.extend(row)
            cursor.execute(
                f"INSERT INTO {qn(table)} ({cols}) VALUES {', '.join([one] * len(part))} "
                f"ON CONFLICT ({qn('dedupe_key')}) DO UPDATE SET {updates} "
                f"WHERE {qn(table)}.{qn('output_tokens')} < excluded.{qn('output_tokens')}",
                params,
            )
