"""The default rules, so a fresh install alerts out of the box (only when there are no rules)."""
from django.db import migrations


def create_default_rules(apps, schema_editor):
    from costdash.alerts.defaults import rules_create_defaults

    org = apps.get_model("accounts", "OrgSettings").objects.filter(pk=1).first()
    rules_create_defaults(apps.get_model("alerts", "AlertRule"), org)


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]

    operations = [migrations.RunPython(create_default_rules, migrations.RunPython.noop)]
