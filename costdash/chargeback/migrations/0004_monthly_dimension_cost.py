"""MonthlyDimensionCost: DailyDimensionCost summed per developer, org-local month, model and project,
filled here from the daily rows (one grouped pass); the recompute keeps it in step from then on."""
from django.db import migrations, models
from django.db.models import Sum
import django.db.models.deletion
from django.db.models.functions import TruncMonth

FIGURES = (
    "cost", "requests", "unpriced_requests", "input_tokens", "output_tokens", "cache_write_5m_tokens",
    "cache_write_1h_tokens", "cache_read_tokens", "web_search_requests",
)


def fill(apps, schema_editor):
    DailyDimensionCost = apps.get_model("chargeback", "DailyDimensionCost")
    MonthlyDimensionCost = apps.get_model("chargeback", "MonthlyDimensionCost")
    sums = (
        DailyDimensionCost.objects.annotate(month=TruncMonth("day"))
        .values("developer_id", "month", "model", "project")
        .annotate(**{f: Sum(f) for f in FIGURES}).order_by()
    )
    batch = []
    for row in sums.iterator(chunk_size=5000):
        batch.append(MonthlyDimensionCost(**row))
        if len(batch) == 5000:
            MonthlyDimensionCost.objects.bulk_create(batch)
            batch = []
    MonthlyDimensionCost.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_identity_namespaces'),
        ('chargeback', '0003_project_column_and_alias'),
    ]

    operations = [
        migrations.CreateModel(
            name='MonthlyDimensionCost',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('model', models.CharField(max_length=120)),
                ('project', models.CharField(blank=True, default='', max_length=500)),
                ('cost', models.DecimalField(decimal_places=12, default=0, max_digits=24)),
                ('requests', models.IntegerField(default=0)),
                ('unpriced_requests', models.IntegerField(default=0)),
                ('input_tokens', models.BigIntegerField(default=0)),
                ('output_tokens', models.BigIntegerField(default=0)),
                ('cache_write_5m_tokens', models.BigIntegerField(default=0)),
                ('cache_write_1h_tokens', models.BigIntegerField(default=0)),
                ('cache_read_tokens', models.BigIntegerField(default=0)),
                ('web_search_requests', models.IntegerField(default=0)),
                ('developer', models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.developer')),
            ],
            options={
                'indexes': [models.Index(fields=['month', 'developer'], name='monthly_dimension_month_dev')],
                'constraints': [models.UniqueConstraint(
                    fields=('developer', 'month', 'model', 'project'), name='monthly_dimension_cost_unique')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
