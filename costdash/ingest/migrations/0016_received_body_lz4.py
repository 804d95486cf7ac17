"""Stored receiver bodies (ReceivedBody.data, ~36 KB of JSON each at 20 records) compressed with lz4 instead of
PostgreSQL's default pglz: measured 0.58-0.62 -> 0.42-0.43 ms of PostgreSQL CPU an insert (benchmarks/README.md,
OTLP receiver). Only on PostgreSQL 14+ built with lz4 (Debian's and the official images are); elsewhere the
column keeps its default and nothing else changes. Bodies already stored keep their compression until
rewritten; new ones take lz4."""
from django.db import migrations

FORWARD = """
DO $$
BEGIN
    ALTER TABLE {table} ALTER COLUMN data SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value OR syntax_error THEN
    RAISE NOTICE 'lz4 not available: the stored bodies keep the default compression';
END $$;
"""
BACKWARD = """
DO $$
BEGIN
    ALTER TABLE {table} ALTER COLUMN data SET COMPRESSION default;
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    NULL;
END $$;
"""


def _run(sql: str):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor == "postgresql" and connection.pg_version >= 140000:
            table = connection.ops.quote_name(apps.get_model("ingest", "ReceivedBody")._meta.db_table)
            schema_editor.execute(sql.format(table=table))
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("ingest", "0015_usage_event_developer_no_fk"),
    ]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
