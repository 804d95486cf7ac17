from django.db import migrations, models


class Migration(migrations.Migration):
    """API tokens get an expiry (chosen at creation; tokens made before have none: they never expire)."""

    dependencies = [
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, help_text="Refused from then on; empty: never", null=True),
        ),
    ]
