"""Write UsageEvents in bulk, keeping for each dedupe key the copy with the most output tokens.

A unique key with insert-ignore would keep the first copy, which under-counts streamed
responses (their output grows line by line). The ON CONFLICT ... DO UPDATE ... WHERE below
replaces a stored row only when the incoming one has more output, so concurrent and
repeated imports converge on the same rows. The syntax is shared by PostgreSQL and SQLite.

A request belongs to the person it was first stored for: a copy reported for someone else never
replaces it (the WHERE also requires the same person, see SAME_PERSON), whatever its output.
``conflicts_of`` finds such copies among the rows a call did not write, for the caller to count
and record (ingest.conflicts).

On PostgreSQL the table is partitioned by month (ingest.partitions) and keyed by (dedupe_key, timestamp): a
copy of a stored request takes the stored row's timestamp when it is within DEDUPE_WINDOW of it (the streamed
lines of one transcript message carry different times), so that it meets the stored row in ON CONFLICT. The
look-up is one probe of the primary key of the one or two month partitions the window covers.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
import re

from django.db import connection, transaction

from .models import UsageEvent
from .partitions import DEDUPE_WINDOW
from .rows import COLUMNS, UPDATED

ROWS_PER_STATEMENT = 1000  # 24 columns: under SQLite's and PostgreSQL's parameter limits


def stored_rows(keys: Sequence[str], times: dict[str, datetime] | None = None
                ) -> dict[str, tuple[int, int | None, int | None]]:
    """dedupe_key -> (stored output_tokens, developer id, identity id), for those of ``keys`` stored.

    ``times`` (key -> the incoming copy's timestamp) narrows each read to the partitions within DEDUPE_WINDOW
    of its copies (PostgreSQL), instead of every month's index."""
    found: dict[str, tuple] = {}
    if times:
        keys = sorted(keys, key=times.__getitem__)  # each read then spans a few months at most
    for i in range(0, len(keys), ROWS_PER_STATEMENT):
        part = keys[i : i + ROWS_PER_STATEMENT]
        rows = UsageEvent.objects.filter(dedupe_key__in=part)
        if times:
            rows = rows.filter(timestamp__gte=times[part[0]] - DEDUPE_WINDOW,
                               timestamp__lte=times[part[-1]] + DEDUPE_WINDOW)
        rows = rows.values_list("dedupe_key", "output_tokens", "developer_id", "identity_id")
        found.update((key, (output, developer, identity)) for key, output, developer, identity in rows)
    return found


def same_person(stored: tuple[int | None, int | None], incoming: tuple[int | None, int | None]) -> bool:
    """Whether (developer id, identity id) ``incoming`` is the person of ``stored``: the same developer,
    or, while the stored row's identity is unassigned (no developer), the same identity."""
    if stored[0] is not None:
        return stored[0] == incoming[0]
    return incoming[0] is None and stored[1] == incoming[1]


def person_of(row: tuple | bytes) -> tuple[int | None, int | None]:
    """(developer id, identity id) of a row as RowBuilder made it (a tuple, or a COPY text line)."""
    if isinstance(row, bytes):
        developer, identity = row.split(b"\t", 5)[3:5]
        return (None if developer == b"\\N" else int(developer)), (None if identity == b"\\N" else int(identity))
    return row[3], row[4]


def time_of(row: tuple | bytes) -> datetime:
    """The timestamp of a row as RowBuilder made it (a tuple, or a COPY text line)."""
    if isinstance(row, bytes):
        return datetime.fromisoformat(row.split(b"\t", 6)[5].decode())
    return row[5]


def conflicts_of(rows: dict[str, tuple | bytes], written: dict[str, bool]) -> list[tuple[str, tuple, tuple]]:
    """Of ``rows`` (dedupe_key -> row) not ``written``, those stored for another person:
    (dedupe_key, stored (developer, identity), incoming (developer, identity)). One read by key,
    of the rows not written only (duplicates, mostly)."""
    unwritten = [key for key in rows if key not in written]
    times = {key: time_of(rows[key]) for key in unwritten} if connection.vendor == "postgresql" else None
    found = []
    for key, (_, *stored) in stored_rows(unwritten, times).items():
        incoming = person_of(rows[key])
        if not same_person(tuple(stored), incoming):
            found.append((key, tuple(stored), incoming))
    return found


def developers_lock(developer_ids: Iterable[int]) -> None:
    """Check that the developers of ``developer_ids`` exist, and on PostgreSQL lock them (FOR KEY SHARE) until the
    transaction ends, so none is deleted before the events written for them commit (a deletion waits, then nulls
    them: on_delete). Raises IntegrityError if one was deleted meanwhile, rolling the write back with its
    transaction. What UsageEvent.developer's deferred foreign-key check did for each row (ingest 0015), once per
    write of many rows: call it after writing, inside the same transaction (SQLite then holds its write lock)."""
    from django.db import IntegrityError

    from costdash.accounts.models import Developer

    ids = sorted(set(developer_ids))
    if not ids:
        return
    table = connection.ops.quote_name(Developer._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE", [ids])
            found = {row[0] for row in cursor.fetchall()}
        else:
            found = set()
            for i in range(0, len(ids), ROWS_PER_STATEMENT):
                part = ids[i : i + ROWS_PER_STATEMENT]
                cursor.execute(f"SELECT id FROM {table} WHERE id IN ({', '.join(['%s'] * len(part))})", part)
                found.update(row[0] for row in cursor.fetchall())
    missing = [i for i in ids if i not in found]
    if missing:
        raise IntegrityError(f"usage events name developers that do not exist (deleted meanwhile?): {missing[:5]}")


def developer_deleting(sender, instance, using=None, **kwargs) -> None:
    """pre_delete of a Developer (PostgreSQL): lock their row FOR UPDATE before Django nulls their events
    (on_delete=SET_NULL runs after this signal), so a write of events for them that holds developers_lock's
    lock commits first and its events are nulled too; a write that comes later finds them gone."""
    from django.db import connections

    conn = connections[using or "default"]
    if conn.vendor == "postgresql" and instance.pk is not None:
        with conn.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {conn.ops.quote_name(sender._meta.db_table)} WHERE id = %s FOR UPDATE", [instance.pk]
            )


def upsert_events(rows: Iterable[tuple | bytes], keys: Sequence[str] | None = None) -> dict[str, bool]:
    """Insert rows as RowBuilder made them for this database (COPY text lines on PostgreSQL,
    tuples in COLUMNS order elsewhere); on a key clash keep whichever has more output.

    Returns ``{dedupe_key: inserted}`` for the rows written: True for a new request, False for a
    stored one replaced by a larger copy. Rows not in it were duplicates and changed nothing.
    Must run inside a transaction. Keys must be unique within one call.

    ``keys``: the rows' dedupe keys, in order, from a caller that expects them all to be new (an
    import whose last flush stored only new requests). COPY lines are then first copied straight
    into the table (``_copy_new``); if any key is stored already, that copy is undone and the rows
    take the staging table's upsert as without ``keys``. The outcome is the same either way.
    """
    rows = list(rows)
    if not rows:
        return {}
    if connection.vendor == "postgresql":
        if isinstance(rows[0], bytes):
            if keys is not None and _copy_new(rows, keys):
                return dict.fromkeys(keys, True)
            return _upsert_by_copy(rows)
        # A live body's few rows: one INSERT … VALUES costs less than COPY through the stage table.
        return _upsert_by_values(sorted(rows))
    stored = stored_rows([row[0] for row in rows])
    written = sorted(
        row for row in rows
        if row[0] not in stored or (row[OUTPUT_AT] > stored[row[0]][0] and same_person(stored[row[0]][1:], row[3:5]))
    )
    _upsert_by_values(written)
    return {row[0]: row[0] not in stored for row in written}


OUTPUT_AT = COLUMNS.index("output_tokens")


def _conflict_clause() -> str:
    qn = connection.ops.quote_name
    table = qn(UsageEvent._meta.db_table)
    updates = ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in UPDATED)
    same = "IS NOT DISTINCT FROM" if connection.vendor == "postgresql" else "IS"  # NULL-safe equality
    developer, identity = qn("developer_id"), qn("identity_id")
    # PostgreSQL: the partitioned table's primary key (ingest.partitions).
    target = "\"dedupe_key\", \"timestamp\"" if connection.vendor == "postgresql" else qn("dedupe_key")
    return (
        f"ON CONFLICT ({target}) DO UPDATE SET {updates} "
        f"WHERE {table}.{qn('output_tokens')} < excluded.{qn('output_tokens')} "
        # SAME_PERSON: the stored row's developer, or while it has none, its identity (same_person()).
        f"AND {table}.{developer} {same} excluded.{developer} "
        f"AND ({table}.{developer} IS NOT NULL OR {table}.{identity} {same} excluded.{identity})"
    )


def _upsert_by_copy(rows: list[bytes]) -> dict[str, bool]:
    """PostgreSQL: COPY into a session temp table, then one INSERT … SELECT … ON CONFLICT.

    COPY streams rows without building (and client-side parsing) a statement with tens of
    thousands of parameters, which made the multi-row INSERT the slowest part of an import.
    """
    assert connection.in_atomic_block, "the staging table empties on commit: call inside a transaction"
    qn = connection.ops.quote_name
    table = qn(UsageEvent._meta.db_table)
    cols = ", ".join(qn(c) for c in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} ON COMMIT DELETE ROWS "
            f"AS SELECT {cols} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {STAGE} ({cols}) FROM STDIN") as copy:
            copy.write(b"".join(rows))
        # Emptied as it is read, so a second flush in the same transaction starts empty.
        cursor.execute(
            f"WITH staged AS (DELETE FROM {STAGE} RETURNING {cols}), {_inserted('staged')}"
        )
        return dict(cursor.fetchall())


def _inserted(rows: str, types: dict[str, str] | None = None) -> str:
    """PostgreSQL: the rest of a WITH statement that upserts ``rows`` (a set named so, or a VALUES list whose
    column ``types`` are given) and returns (dedupe_key, inserted) of the rows written.

    A copy of a stored request takes that request's timestamp when within DEDUPE_WINDOW of it (see the module
    docstring). ``xmax`` cannot be returned from a partitioned table, so "inserted" is whether no stored copy
    was found before the write: a copy another transaction commits meanwhile is then counted as new here (the
    row is right either way; only the new/updated split of the counts can be off by it)."""
    qn = connection.ops.quote_name
    table = qn(UsageEvent._meta.db_table)
    cols = ", ".join(qn(c) for c in COLUMNS)
    cast = (lambda c: f"s.{qn(c)}::{types[c]}") if types else (lambda c: f"s.{qn(c)}")
    at = cast("timestamp")
    window = f"interval '{int(DEDUPE_WINDOW.total_seconds())} seconds'"
    select = ", ".join(f'COALESCE(k."timestamp", {at}) AS "timestamp"' if c == "timestamp" else f"{cast(c)} AS {qn(c)}"
                       for c in COLUMNS)
    names = f" ({cols})" if types else ""
    # Rows go in key order so that concurrent writers of overlapping keys lock them alike (no deadlock).
    return (
        f"src AS (SELECT {select}, k.\"timestamp\" IS NULL AS new FROM {rows} AS s{names} "
        f"LEFT JOIN LATERAL (SELECT u.\"timestamp\" FROM {table} AS u "
        f"WHERE u.\"dedupe_key\" = {cast('dedupe_key')} "
        f"AND u.\"timestamp\" BETWEEN {at} - {window} AND {at} + {window} "
        f"ORDER BY u.\"timestamp\" LIMIT 1) AS k ON true), "
        f"written AS (INSERT INTO {table} ({cols}) SELECT {cols} FROM src ORDER BY \"dedupe_key\" "
        f"{_conflict_clause()} RETURNING \"dedupe_key\") "
        f"SELECT written.\"dedupe_key\", src.new FROM written JOIN src USING (\"dedupe_key\")"
    )


# How long the straight copy waits for a lock (another transaction writing one of its keys, a
# schema change) before it gives way to the staging table's upsert, which waits as long as it takes.
NEW_ROWS_LOCK_TIMEOUT = "200ms"


_COPY_ESCAPE = re.compile(r"\\(.)")


def _unescape(match: re.Match) -> str:
    """A character of COPY text as rows.copy_text escaped it."""
    return {"t": "\t", "n": "\n", "r": "\r"}.get(match[1], match[1])


class _StoredElsewhen(Exception):
    """A key copied straight in was stored already at another time within DEDUPE_WINDOW."""


def _copy_new(rows: list[bytes], keys: Sequence[str] | None = None) -> bool:
    """PostgreSQL: COPY rows straight into the table, for rows whose keys are not stored yet. This
    skips the staging table's second pass (half of PostgreSQL's work per row on a first import).

    Runs in a savepoint: if a key is stored already (a unique violation on (dedupe_key, timestamp), or
    the key stored at another time within DEDUPE_WINDOW, which the partitioned table's primary key cannot
    see: one probe a row after the copy), or another transaction holds one (a lock wait past
    NEW_ROWS_LOCK_TIMEOUT: never a deadlock), nothing is kept and False is returned, for the caller to
    upsert the rows instead. True: every row was inserted. ``keys``: the rows' dedupe keys, in order (read
    from the rows when not given).
    """
    import psycopg
    from psycopg import errors

    if keys is None:
        keys = [_COPY_ESCAPE.sub(_unescape, row.split(b"\t", 1)[0].decode()) for row in rows]

    qn = connection.ops.quote_name
    table = qn(UsageEvent._meta.db_table)
    cols = ", ".join(qn(c) for c in COLUMNS)
    window = f"interval '{int(DEDUPE_WINDOW.total_seconds())} seconds'"
    times = [row.split(b"\t", 6)[5].decode() for row in rows]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
                           [NEW_ROWS_LOCK_TIMEOUT])
            before = cursor.fetchone()[0]
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                copy.write(b"".join(rows))
            # Bound on the server, the arrays sent binary: Django's client-side binding would quote each of
            # the flush's keys and times into the query text (a regular expression per element, ~1.6 µs a row).
            with psycopg.Cursor(cursor.cursor.connection) as probe:
                probe.execute(
                    # LATERAL … LIMIT 1: a probe of one or two months' primary key a row, never a join of whole months.
                    f"SELECT EXISTS (SELECT FROM unnest(%b::text[], %b::timestamptz[]) AS n(k, t) CROSS JOIN LATERAL ("
                    f"SELECT FROM {table} AS u WHERE u.\"dedupe_key\" = n.k "
                    f"AND u.\"timestamp\" BETWEEN n.t - {window} AND n.t + {window} AND u.\"timestamp\" <> n.t "
                    f"LIMIT 1) AS other)",
                    [list(keys), times],
                )
                stored_elsewhen = probe.fetchone()[0]
            if stored_elsewhen:
                raise _StoredElsewhen
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [before])
    except (errors.UniqueViolation, errors.LockNotAvailable, errors.DeadlockDetected, _StoredElsewhen):
        return False  # rolled back to the savepoint (lock_timeout with it)
    return True


def _column_types() -> dict[str, str]:
    fields = {f.column: f for f in UsageEvent._meta.concrete_fields}
    return {c: fields[c].db_type(connection) for c in COLUMNS}


STAGE = "usage_event_stage"


def _upsert_by_values(rows: list[tuple]) -> dict[str, bool]:
    """Multi-row INSERT … VALUES … ON CONFLICT (SQLite, and small batches on PostgreSQL, where it returns
    ``{dedupe_key: inserted}`` of the rows written, as upsert_events says)."""
    qn = connection.ops.quote_name
    table = qn(UsageEvent._meta.db_table)
    cols = ", ".join(qn(c) for c in COLUMNS)
    one = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    ts_at, cost_at, reported_at = (COLUMNS.index(c) for c in ("timestamp", "cost", "reported_cost"))
    adapt_dt = connection.ops.adapt_datetimefield_value
    adapt_dec = connection.ops.adapt_decimalfield_value
    written: dict[str, bool] = {}
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
            values = f"VALUES {', '.join([one] * len(part))}"
            if connection.vendor == "postgresql":  # partitioned: a copy of a stored request takes its time
                cursor.execute(f"WITH {_inserted(f'({values})', _column_types())}", params)
                written.update(cursor.fetchall())
            else:
                cursor.execute(f"INSERT INTO {table} ({cols}) {values} {_conflict_clause()}", params)
    return written
