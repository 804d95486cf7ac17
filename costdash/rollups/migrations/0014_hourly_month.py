"""HourlyMonth (HourlyCost summed per developer, month, ISO weekday and hour), filled here from
HourlyCost in one grouped pass; the recompute keeps it in step from then on."""
from django.db import migrations, models
from django.db.models import Sum
import django.db.models.deletion
from django.db.models.functions import ExtractIsoWeekDay, TruncMonth


def fill(apps, schema_editor):
    HourlyCost = apps.get_model("rollups", "HourlyCost")
    HourlyMonth = apps.get_model("rollups", "HourlyMonth")
    sums = (
        HourlyCost.objects.annotate(month=TruncMonth("day"), weekday=ExtractIsoWeekDay("day"))
        .values("developer_id", "month", "weekday", "hour")
        .annotate(requests=Sum("requests"), cost=Sum("cost")).order_by()
    )
    batch = []
    for row in sums.iterator(chunk_size=5000):
        batch.append(HourlyMonth(**row))
        if len(batch) == 5000:
            HourlyMonth.objects.bulk_create(batch)
            batch = []
    HourlyMonth.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_role_groups'),
        ('rollups', '0013_session_months'),
    ]

    operations = [
        migrations.CreateModel(
            name='HourlyMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('weekday', models.PositiveSmallIntegerField()),
                ('hour', models.PositiveSmallIntegerField()),
                ('requests', models.IntegerField(default=0)),
                ('cost', models.DecimalField(decimal_places=12, default=0, max_digits=24)),
                ('developer', models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.developer')),
            ],
            options={
                'indexes': [models.Index(fields=['month', 'developer'], name='hourly_month_month_dev')],
                'constraints': [models.UniqueConstraint(
                    fields=('developer', 'month', 'weekday', 'hour'), name='hourly_month_unique')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
