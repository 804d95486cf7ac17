"""ProjectAlias (a repository's display name; one name for several merges them), and
DailyDimensionCost.project: the project of its dimensions as a column, filled from them (one
UPDATE per distinct dimensions text, few: projects x keys x tags)."""
from django.db import migrations, models
import orjson


def fill_project(apps, schema_editor):
    DailyDimensionCost = apps.get_model("chargeback", "DailyDimensionCost")
    texts = DailyDimensionCost.objects.values_list("dimensions", flat=True).distinct().order_by()
    for text in list(texts.iterator(chunk_size=2000)):
        project = (orjson.loads(text) if text else {}).get("project") or ""
        if project:
            DailyDimensionCost.objects.filter(dimensions=text).update(project=project)


class Migration(migrations.Migration):

    dependencies = [
        ('chargeback', '0002_recompute_days_for_dimensions'),
    ]

    operations = [
        migrations.CreateModel(
            name='ProjectAlias',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('repository', models.CharField(
                    help_text="As recorded: the checkout's path", max_length=500, unique=True)),
                ('name', models.CharField(
                    help_text="The project's name; give several repositories one name to merge them", max_length=200)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name_plural': 'project aliases',
                'ordering': ['name', 'repository'],
            },
        ),
        migrations.AddField(
            model_name='dailydimensioncost',
            name='project',
            field=models.CharField(blank=True, default='', max_length=500),
        ),
        migrations.AddIndex(
            model_name='dailydimensioncost',
            index=models.Index(fields=['project', 'day'], name='dimension_cost_project_day'),
        ),
        migrations.RunPython(fill_project, migrations.RunPython.noop),
    ]
