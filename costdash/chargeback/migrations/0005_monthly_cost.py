"""MonthlyCost: DailyCost summed per developer, org-local month and model, filled here from the daily
rows (one grouped INSERT ... SELECT); the recompute keeps it in step from then on."""
from django.db import migrations, models
import django.db.models.deletion

FIGURES = (
    "cost", "requests", "unpriced_requests", "input_tokens", "output_tokens", "cache_write_5m_tokens",
    "cache_write_1h_tokens", "cache_read_tokens", "web_search_requests",
)


def fill(apps, schema_editor):
    DailyCost = apps.get_model("rollups", "DailyCost")
    MonthlyCost = apps.get_model("chargeback", "MonthlyCost")
    qn = schema_editor.connection.ops.quote_name
    columns = ", ".join(qn(f) for f in FIGURES)
    sums = ", ".join(f"SUM({qn(f)})" for f in FIGURES)
    # The first day of the row's month, on every backend (SQLite has no date_trunc).
    month = ("date_trunc('month', day)::date" if schema_editor.connection.vendor == "postgresql"
             else "date(day, 'start of month')")
    schema_editor.execute(
        f"INSERT INTO {qn(MonthlyCost._meta.db_table)} (developer_id, month, model, {columns}) "
        f"SELECT developer_id, {month}, model, {sums} FROM {qn(DailyCost._meta.db_table)} "
        f"GROUP BY developer_id, {month}, model"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_identity_namespaces'),
        ('chargeback', '0004_monthly_dimension_cost'),
        ('rollups', '0014_org_daily_cost'),
    ]

    operations = [
        migrations.CreateModel(
            name='MonthlyCost',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('model', models.CharField(max_length=120)),
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
                'indexes': [models.Index(fields=['month', 'developer'], name='monthly_cost_month_dev')],
                'constraints': [models.UniqueConstraint(fields=('developer', 'month', 'model'),
                                                        name='monthly_cost_unique')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
