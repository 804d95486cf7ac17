"""UsageEvent.dimensions: a request's chargeback dimensions as canonical JSON text (nullable, so
adding it rewrites no row)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("ingest", "0009_failed_calls"),
    ]

    operations = [
        migrations.AddField(
            model_name="usageevent",
            name="dimensions",
            field=models.TextField(blank=True, null=True),
        ),
    ]
