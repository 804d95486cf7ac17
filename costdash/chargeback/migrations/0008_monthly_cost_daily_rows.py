"""MonthlyCost.daily_rows: how many DailyCost rows each monthly row sums, counted here from the daily rows
(one grouped UPDATE); the recompute keeps it in step from then on."""
from django.db import migrations, models


def fill(apps, schema_editor):
    DailyCost = apps.get_model("rollups", "DailyCost")
    MonthlyCost = apps.get_model("chargeback", "MonthlyCost")
    qn = schema_editor.connection.ops.quote_name
    monthly, daily = qn(MonthlyCost._meta.db_table), qn(DailyCost._meta.db_table)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"UPDATE {monthly} m SET daily_rows = c.n FROM (SELECT developer_id, date_trunc('month', day)::date "
            f"AS month, model, COUNT(*) AS n FROM {daily} GROUP BY 1, 2, 3) c "
            "WHERE m.developer_id = c.developer_id AND m.month = c.month AND m.model = c.model"
        )
    else:  # SQLite, the embedded default: a correlated count (SQLite has no date_trunc)
        schema_editor.execute(
            f"UPDATE {monthly} SET daily_rows = (SELECT COUNT(*) FROM {daily} d "
            f"WHERE d.developer_id = {monthly}.developer_id AND d.model = {monthly}.model "
            f"AND date(d.day, 'start of month') = {monthly}.month)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('chargeback', '0007_project_developer_day_and_session_days'),
    ]

    operations = [
        migrations.AddField(
            model_name='monthlycost',
            name='daily_rows',
            field=models.IntegerField(default=0),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
