"""The role groups (accounts.roles) exist from the start: a fresh install has "admin" and "billing", so the
Members page's role list and the monthly report's billing recipients never depend on someone typing a name."""
from django.db import migrations

ROLE_GROUPS = ("admin", "billing")


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_identity_namespaces"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    # Backwards leaves the groups: their members would otherwise lose their role.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
