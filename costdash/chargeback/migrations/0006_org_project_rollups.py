"""OrgProjectDay and OrgProjectMonth (DailyDimensionCost summed over developers per day or month, project
and model) and ProjectDeveloperMonth (a developer's projects of a month), filled here from the rows already
there with grouped INSERT ... SELECTs; the recompute keeps them in step from then on."""
import django.db.models.deletion
from django.db import migrations, models

FIGURES = (
    "cost", "requests", "unpriced_requests", "input_tokens", "output_tokens", "cache_write_5m_tokens",
    "cache_write_1h_tokens", "cache_read_tokens", "web_search_requests",
)


def fill(apps, schema_editor):
    qn = schema_editor.connection.ops.quote_name
    table = {name: qn(apps.get_model("chargeback", name)._meta.db_table) for name in (
        "DailyDimensionCost", "MonthlyDimensionCost", "OrgProjectDay", "OrgProjectMonth", "ProjectDeveloperMonth")}
    columns = ", ".join(qn(f) for f in FIGURES)
    sums = ", ".join(f"SUM({qn(f)})" for f in FIGURES)
    # The first day of the row's month, on every backend (SQLite has no date_trunc).
    month = ("date_trunc('month', day)::date" if schema_editor.connection.vendor == "postgresql"
             else "date(day, 'start of month')")
    schema_editor.execute(
        f"INSERT INTO {table['OrgProjectDay']} (day, project, model, {columns}) "
        f"SELECT day, project, model, {sums} FROM {table['DailyDimensionCost']} GROUP BY day, project, model"
    )
    schema_editor.execute(
        f"INSERT INTO {table['OrgProjectMonth']} (month, project, model, {columns}) "
        f"SELECT {month}, project, model, {sums} FROM {table['OrgProjectDay']} GROUP BY {month}, project, model"
    )
    schema_editor.execute(
        f"INSERT INTO {table['ProjectDeveloperMonth']} (developer_id, month, project) "
        f"SELECT DISTINCT developer_id, month, project FROM {table['MonthlyDimensionCost']}"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_role_groups'),
        ('chargeback', '0005_monthly_cost'),
    ]

    operations = [
        migrations.CreateModel(
            name='OrgProjectDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('cost', models.DecimalField(decimal_places=12, default=0, max_digits=24)),
                ('requests', models.BigIntegerField(default=0)),
                ('unpriced_requests', models.BigIntegerField(default=0)),
                ('input_tokens', models.BigIntegerField(default=0)),
                ('output_tokens', models.BigIntegerField(default=0)),
                ('cache_write_5m_tokens', models.BigIntegerField(default=0)),
                ('cache_write_1h_tokens', models.BigIntegerField(default=0)),
                ('cache_read_tokens', models.BigIntegerField(default=0)),
                ('web_search_requests', models.BigIntegerField(default=0)),
                ('day', models.DateField()),
                ('project', models.CharField(blank=True, default='', max_length=500)),
                ('model', models.CharField(max_length=120)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('day', 'project', 'model'), name='org_project_day_unique')],
            },
        ),
        migrations.CreateModel(
            name='OrgProjectMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('cost', models.DecimalField(decimal_places=12, default=0, max_digits=24)),
                ('requests', models.BigIntegerField(default=0)),
                ('unpriced_requests', models.BigIntegerField(default=0)),
                ('input_tokens', models.BigIntegerField(default=0)),
                ('output_tokens', models.BigIntegerField(default=0)),
                ('cache_write_5m_tokens', models.BigIntegerField(default=0)),
                ('cache_write_1h_tokens', models.BigIntegerField(default=0)),
                ('cache_read_tokens', models.BigIntegerField(default=0)),
                ('web_search_requests', models.BigIntegerField(default=0)),
                ('month', models.DateField()),
                ('project', models.CharField(blank=True, default='', max_length=500)),
                ('model', models.CharField(max_length=120)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('month', 'project', 'model'), name='org_project_month_unique')],
            },
        ),
        migrations.CreateModel(
            name='ProjectDeveloperMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('project', models.CharField(blank=True, default='', max_length=500)),
                ('developer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.developer')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('month', 'project', 'developer'), name='project_developer_month_unique')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
