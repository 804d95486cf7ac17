"""SessionMonth and SessionSpan (rollups.session_months), filled here from SessionDay: each
developer's sessions in one month and one project counted, the others listed per (month, project)."""
from collections import Counter, defaultdict

from django.db import migrations, models
import django.db.models.deletion


def fill(apps, schema_editor):
    SessionDay = apps.get_model("rollups", "SessionDay")
    SessionMonth = apps.get_model("rollups", "SessionMonth")
    SessionSpan = apps.get_model("rollups", "SessionSpan")
    developers = SessionDay.objects.values_list("developer_id", flat=True).distinct().order_by()
    for developer_id in list(developers):
        parts = defaultdict(set)
        rows = SessionDay.objects.filter(developer_id=developer_id).values_list("session_id", "day", "project")
        for session_id, day, project in rows.iterator(chunk_size=5000):
            parts[session_id].add((day.replace(day=1), project))
        simple = Counter()
        spans = []
        for session_id, found in parts.items():
            if len(found) == 1:
                simple[next(iter(found))] += 1
            else:
                spans += [SessionSpan(developer_id=developer_id, session_id=session_id, month=month, project=project)
                          for month, project in found]
        SessionMonth.objects.bulk_create(
            [SessionMonth(developer_id=developer_id, month=month, project=project, sessions=n)
             for (month, project), n in simple.items()], batch_size=1000)
        SessionSpan.objects.bulk_create(spans, batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_role_groups'),
        ('rollups', '0012_hourly_cost'),
    ]

    operations = [
        migrations.CreateModel(
            name='SessionMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('project', models.CharField(blank=True, default='', max_length=500)),
                ('sessions', models.IntegerField(default=0)),
                ('developer', models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.developer')),
            ],
            options={
                'indexes': [models.Index(fields=['month', 'developer'], name='session_month_month_dev')],
                'constraints': [models.UniqueConstraint(
                    fields=('developer', 'month', 'project'), name='session_month_unique')],
            },
        ),
        migrations.CreateModel(
            name='SessionSpan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('session_id', models.CharField(max_length=100)),
                ('month', models.DateField()),
                ('project', models.CharField(blank=True, default='', max_length=500)),
                ('developer', models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.developer')),
            ],
            options={
                'indexes': [models.Index(fields=['month', 'developer'], name='session_span_month_dev')],
                'constraints': [models.UniqueConstraint(
                    fields=('developer', 'session_id', 'month', 'project'), name='session_span_unique')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
