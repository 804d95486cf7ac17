"""PostgreSQL only: ingest_usageevent becomes a table partitioned by RANGE on "timestamp", a partition per UTC
month and a DEFAULT partition (ingest.partitions). SQLite keeps its table as it was.

Existing rows are copied into the new table, month by month as the rows route themselves: the primary key and
the (developer, timestamp) index are built after the copy, which is faster than keeping them up to date row by
row (measured in benchmarks/README.md, "Usage events partitioned by month"). The old table is dropped at the end;
the whole migration is one transaction, so a failure leaves the table as it was.

The primary key becomes (dedupe_key, timestamp) (a partitioned table's unique keys must include its partition
key); the varchar_pattern_ops index Django made for the old dedupe_key primary key is not rebuilt: nothing
looks events up by a key prefix, and one index less is maintained on every insert. Django's model state is
unchanged (dedupe_key is still the model's primary key). A later migration that alters this table's columns
must be checked against the partitioned table (ALTER on the parent reaches every partition).

Reversible: the rows are copied back into a plain table keyed by dedupe_key, which fails (and changes nothing)
if a key is stored twice (two copies of a request further apart in time than ingest.partitions.DEDUPE_WINDOW).
"""
from datetime import UTC, date, datetime

from django.db import migrations

TABLE = "ingest_usageevent"
OLD = f"{TABLE}_unpartitioned"
MONTHS_AHEAD = 3


def _month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _foreign_keys(cursor, table):
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = to_regclass(%s) "
        "AND contype = 'f' ORDER BY conname", [table],
    )
    return cursor.fetchall()


def partition(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        if cursor.fetchone()[0] == "p":
            return
        foreign_keys = _foreign_keys(cursor, TABLE)
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', \"timestamp\" AT TIME ZONE 'UTC')::date FROM {TABLE}"
        )
        months = {row[0] for row in cursor.fetchall()}
        month = datetime.now(UTC).date().replace(day=1)
        for _ in range(MONTHS_AHEAD + 1):
            months.add(month)
            month = _month_after(month)
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
        cursor.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT {TABLE}_pkey TO {OLD}_pkey")
        cursor.execute(f"ALTER INDEX usage_dev_time RENAME TO {OLD}_dev_time")
        cursor.execute(f'CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS) PARTITION BY RANGE ("timestamp")')
        cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
        for month in sorted(months):
            start, end = month.isoformat(), _month_after(month).isoformat()
            cursor.execute(
                f"CREATE TABLE {TABLE}_y{month.year:04d}m{month.month:02d} PARTITION OF {TABLE} "
                f"FOR VALUES FROM ('{start} 00:00:00+00') TO ('{end} 00:00:00+00')"
            )
        cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")
        cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (dedupe_key, "timestamp")')
        cursor.execute(f'CREATE INDEX usage_dev_time ON {TABLE} (developer_id, "timestamp")')
        cursor.execute(f"DROP TABLE {OLD}")
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")
        cursor.execute(f"ANALYZE {TABLE}")


def unpartition(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        if cursor.fetchone()[0] != "p":
            return
        cursor.execute(f"SELECT dedupe_key FROM {TABLE} GROUP BY dedupe_key HAVING count(*) > 1 LIMIT 5")
        twice = [row[0] for row in cursor.fetchall()]
        if twice:
            raise RuntimeError(
                f"cannot key usage events by dedupe_key alone: stored more than once (at different times): {twice}"
            )
        foreign_keys = _foreign_keys(cursor, TABLE)
        cursor.execute(f"CREATE TABLE {OLD} (LIKE {TABLE} INCLUDING DEFAULTS)")
        cursor.execute(f"INSERT INTO {OLD} SELECT * FROM {TABLE}")
        cursor.execute(f"DROP TABLE {TABLE}")  # its partitions with it
        cursor.execute(f"ALTER TABLE {OLD} RENAME TO {TABLE}")
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (dedupe_key)")
        like = schema_editor._create_index_name(TABLE, ["dedupe_key"], suffix="_like")
        cursor.execute(f"CREATE INDEX {like} ON {TABLE} (dedupe_key varchar_pattern_ops)")
        cursor.execute(f'CREATE INDEX usage_dev_time ON {TABLE} (developer_id, "timestamp")')
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")


class Migration(migrations.Migration):

    dependencies = [
        ("ingest", "0012_received_bodies"),
    ]

    operations = [
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
