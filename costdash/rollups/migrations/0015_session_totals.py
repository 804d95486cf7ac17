"""SessionTotal (rollups.session_months): one row a developer's session with its days, projects,
requests and cost over all its SessionDay rows, filled here from SessionDay (one INSERT ... SELECT;
the indexes are made after it)."""

import django.db.models.deletion
from django.db import migrations, models

FILL = """
INSERT INTO {totals} (developer_id, session_id, first_day, last_day, projects, project, requests, cost, cost_bound)
SELECT developer_id, session_id, MIN(day), MAX(day), COUNT(DISTINCT project), MAX(project), SUM(requests), SUM(cost),
       SUM(CASE WHEN cost > 0 THEN cost ELSE 0 END)
FROM {days} GROUP BY developer_id, session_id
"""


def fill(apps, schema_editor):
    quote = schema_editor.quote_name
    schema_editor.execute(FILL.format(totals=quote(apps.get_model("rollups", "SessionTotal")._meta.db_table),
                                      days=quote(apps.get_model("rollups", "SessionDay")._meta.db_table)))


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_role_groups'),
        ('rollups', '0014_org_daily_cost'),
    ]

    operations = [
        migrations.CreateModel(
            name='SessionTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('session_id', models.CharField(max_length=100)),
                ('first_day', models.DateField()),
                ('last_day', models.DateField()),
                ('projects', models.IntegerField(default=1)),
                ('project', models.CharField(blank=True, default='', max_length=500)),
                ('requests', models.IntegerField(default=0)),
                ('cost', models.DecimalField(decimal_places=12, default=0, max_digits=24)),
                ('cost_bound', models.DecimalField(decimal_places=12, default=0, max_digits=24)),
                ('developer', models.ForeignKey(
                    db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+',
                    to='accounts.developer')),
            ],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='sessiontotal',
            constraint=models.UniqueConstraint(fields=('developer', 'session_id'), name='session_total_unique'),
        ),
        migrations.AddIndex(
            model_name='sessiontotal',
            index=models.Index(fields=['-cost', '-requests', 'session_id'], include=['first_day', 'last_day', 'developer'],
                               name='session_total_rank'),
        ),
        migrations.AddIndex(
            model_name='sessiontotal',
            index=models.Index(fields=['project', '-cost', '-requests', 'session_id'],
                               include=['first_day', 'last_day', 'developer', 'projects'],
                               name='session_total_project_rank'),
        ),
        migrations.AddIndex(
            model_name='sessiontotal',
            index=models.Index(fields=['first_day', 'last_day'], name='session_total_days'),
        ),
        migrations.AddIndex(
            model_name='sessiontotal',
            index=models.Index(condition=models.Q(('first_day__lt', models.F('last_day'))),
                               fields=['last_day', 'first_day'], name='session_total_multiday'),
        ),
        migrations.AddIndex(
            model_name='sessiontotal',
            index=models.Index(condition=models.Q(('projects__gt', 1)), fields=['-cost_bound'],
                               name='session_total_multiproject'),
        ),
    ]
