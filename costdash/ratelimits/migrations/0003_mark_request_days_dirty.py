"""Fill MinuteUsage for the days already imported: mark every developer-day with usage dirty, so the
recompute sweep (rollups.tasks.daily_cost_recompute_dirty, every minute) rebuilds it with its minutes,
as a time zone change does. Recomputing is idempotent; a day already dirty stays as it is."""
from django.db import migrations
from django.utils import timezone

BATCH = 5000


def mark(apps, schema_editor):
    DeveloperDay = apps.get_model("rollups", "DeveloperDay")
    DirtyDay = apps.get_model("rollups", "DirtyDay")
    now = timezone.now()
    pairs = DeveloperDay.objects.filter(active=True).values_list("developer_id", "day").iterator(chunk_size=BATCH)
    batch = []
    for developer_id, day in pairs:
        batch.append(DirtyDay(developer_id=developer_id, day=day, marked_at=now))
        if len(batch) == BATCH:
            DirtyDay.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    DirtyDay.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("ratelimits", "0002_seed_anthropic_recommendations"),
        ("rollups", "0012_hourly_cost"),
    ]
    operations = [migrations.RunPython(mark, migrations.RunPython.noop)]
