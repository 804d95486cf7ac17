"""The default rules of the operational kinds added later ("Rollup failed", "Request conflict"), for
installs whose rules were made before them: one enabled rule each, unless the kind has one."""
from django.db import migrations

KINDS = ("rollup_failed", "request_conflict")


def create_rules(apps, schema_editor):
    AlertRule = apps.get_model("alerts", "AlertRule")
    present = set(AlertRule.objects.filter(kind__in=KINDS).values_list("kind", flat=True))
    AlertRule.objects.bulk_create([AlertRule(kind=kind, threshold=None) for kind in KINDS if kind not in present])


def remove_rules(apps, schema_editor):
    AlertRule = apps.get_model("alerts", "AlertRule")
    AlertRule.objects.filter(kind__in=KINDS).delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0002_default_rules")]

    operations = [migrations.RunPython(create_rules, remove_rules)]
