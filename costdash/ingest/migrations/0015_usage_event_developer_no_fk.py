"""UsageEvent.developer without a database constraint (db_constraint=False), as batch and identity already are.

The deferred foreign-key check cost PostgreSQL ~4 µs of CPU a row on every insert of an import (benchmarks/README.md,
"LiteLLM SpendLogs import"). Deleting a developer still nulls their events (on_delete=SET_NULL runs in Django), and
a write of events checks and locks the developers it names once per call (upsert.developers_lock), so an event
never names a developer deleted meanwhile.

PostgreSQL: the constraint is dropped on the partitioned table (ingest 0013), which drops it on every partition;
reversed, it is added back on the partitioned table (and so on every partition). SQLite: Django remakes the table
without the constraint. No index changes: the dedupe_key ``_like`` index was already dropped by 0013.
"""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_role_groups"),
        ("ingest", "0014_raw_event_retention"),
    ]

    operations = [
        migrations.AlterField(
            model_name="usageevent",
            name="developer",
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True,
                                    on_delete=django.db.models.deletion.SET_NULL, to="accounts.developer"),
        ),
    ]
