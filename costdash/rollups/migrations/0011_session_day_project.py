"""SessionDay per project (the repository of its requests' working directory): a session's row of
a day becomes one row per repository it worked in. Every developer-day with sessions is marked
dirty so the recompute fills the column (until then a session shows no project)."""
from django.db import migrations, models
from django.utils import timezone


def mark_dirty(apps, schema_editor):
    SessionDay = apps.get_model("rollups", "SessionDay")
    DirtyDay = apps.get_model("rollups", "DirtyDay")
    now = timezone.now()
    pairs = SessionDay.objects.values_list("developer_id", "day").distinct().order_by("developer_id", "day")
    batch = []
    for developer_id, day in pairs.iterator(chunk_size=5000):
        batch.append(DirtyDay(developer_id=developer_id, day=day, marked_at=now))
        if len(batch) == 5000:
            DirtyDay.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    DirtyDay.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("rollups", "0010_daily_errors"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="sessionday",
            name="session_day_unique",
        ),
        migrations.AddField(
            model_name="sessionday",
            name="project",
            field=models.CharField(blank=True, default="", max_length=500),
        ),
        migrations.AddConstraint(
            model_name="sessionday",
            constraint=models.UniqueConstraint(
                fields=("developer", "day", "session_id", "project"), name="session_day_unique"
            ),
        ),
        migrations.RunPython(mark_dirty, migrations.RunPython.noop),
    ]
