"""ProjectDeveloperDay (a developer's projects of a day) and OrgProjectSessionDay (SessionDay rows counted
per day and project over every developer), filled here from the rows already there; the recompute keeps
them in step from then on."""
import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    qn = schema_editor.connection.ops.quote_name
    table = {f"{app}.{name}": qn(apps.get_model(app, name)._meta.db_table) for app, name in (
        ("chargeback", "DailyDimensionCost"), ("chargeback", "ProjectDeveloperDay"),
        ("chargeback", "OrgProjectSessionDay"), ("rollups", "SessionDay"))}
    schema_editor.execute(
        f"INSERT INTO {table['chargeback.ProjectDeveloperDay']} (developer_id, day, project) "
        f"SELECT DISTINCT developer_id, day, project FROM {table['chargeback.DailyDimensionCost']}"
    )
    schema_editor.execute(
        f"INSERT INTO {table['chargeback.OrgProjectSessionDay']} (day, project, sessions) "
        f"SELECT day, project, COUNT(*) FROM {table['rollups.SessionDay']} GROUP BY day, project"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_role_groups'),
        ('chargeback', '0006_org_project_rollups'),
        ('rollups', '0018_developer_month'),
    ]

    operations = [
        migrations.CreateModel(
            name='OrgProjectSessionDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('project', models.CharField(blank=True, default='', max_length=500)),
                ('sessions', models.IntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('day', 'project'), name='org_project_session_day_unique')],
            },
        ),
        migrations.CreateModel(
            name='ProjectDeveloperDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('project', models.CharField(blank=True, default='', max_length=500)),
                ('developer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.developer')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('day', 'project', 'developer'), name='project_developer_day_unique')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
