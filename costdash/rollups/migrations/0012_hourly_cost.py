"""HourlyCost: spend per developer, org-local day and hour, for the hour-of-day x weekday heatmap.
Every developer-day counted from a per-request source is marked dirty so the recompute fills it
(until then the heatmap leaves those days out and says how much spend has no hour)."""

from django.db import migrations, models
import django.db.models.deletion
from django.utils import timezone

# Daily reports have no hour: their days get no HourlyCost rows, so they need no recompute here.
AGGREGATE_SOURCES = ("otel_metrics", "anthropic_usage", "claude_code_analytics", "litellm_daily")


def mark_dirty(apps, schema_editor):
    DailyCost = apps.get_model("rollups", "DailyCost")
    DirtyDay = apps.get_model("rollups", "DirtyDay")
    now = timezone.now()
    pairs = (
        DailyCost.objects.exclude(source__in=AGGREGATE_SOURCES)
        .values_list("developer_id", "day")
        .distinct()
        .order_by("developer_id", "day")
    )
    batch = []
    for developer_id, day in pairs.iterator(chunk_size=5000):
        batch.append(DirtyDay(developer_id=developer_id, day=day, marked_at=now))
        if len(batch) == 5000:
            DirtyDay.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    DirtyDay.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_identity_namespaces"),
        ("rollups", "0011_session_day_project"),
    ]

    operations = [
        migrations.CreateModel(
            name="HourlyCost",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("hour", models.PositiveSmallIntegerField()),
                ("requests", models.IntegerField(default=0)),
                (
                    "unpriced_requests",
                    models.IntegerField(default=0, help_text="Requests with no known price: not in cost"),
                ),
                ("cost", models.DecimalField(decimal_places=12, default=0, max_digits=24)),
                (
                    "developer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="hourly_costs",
                        to="accounts.developer",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["day", "developer"], name="hourly_cost_day_dev")],
                "constraints": [
                    models.UniqueConstraint(fields=("developer", "day", "hour"), name="hourly_cost_unique"),
                    models.CheckConstraint(condition=models.Q(("hour__lte", 23)), name="hourly_cost_hour_of_day"),
                ],
            },
        ),
        migrations.RunPython(mark_dirty, migrations.RunPython.noop),
    ]
