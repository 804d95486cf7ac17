"""Every developer-day with a rollup is marked dirty, so the recompute builds its
DailyDimensionCost rows (until then the monthly report's chargeback tables show the gap as
"(awaiting recompute)" and the month as recomputing)."""
from django.db import migrations
from django.utils import timezone


def mark_dirty(apps, schema_editor):
    DailyCost = apps.get_model("rollups", "DailyCost")
    DirtyDay = apps.get_model("rollups", "DirtyDay")
    now = timezone.now()
    pairs = DailyCost.objects.values_list("developer_id", "day").distinct().order_by("developer_id", "day")
    batch = []
    for developer_id, day in pairs.iterator(chunk_size=5000):
        batch.append(DirtyDay(developer_id=developer_id, day=day, marked_at=now))
        if len(batch) == 5000:
            DirtyDay.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    DirtyDay.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("chargeback", "0001_rules_and_daily_dimension_cost"),
        ("rollups", "0009_cache_split_recovery"),
    ]

    operations = [migrations.RunPython(mark_dirty, migrations.RunPython.noop)]
