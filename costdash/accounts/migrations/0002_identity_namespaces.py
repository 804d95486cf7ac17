"""Identities move from per-source to per-name-space (accounts.services.IDENTITY_NAMESPACES):
a LiteLLM user seen in SpendLogs and in logging payloads becomes one identity, mapped once.
Where both existed, the one already mapped to a developer is kept and the other's rows point to it."""
from django.db import migrations

NAMESPACES = {
    "litellm_spendlogs": "litellm",
    "litellm_payload": "litellm",
    "litellm_daily": "litellm",
    "otel": "anthropic",
    "otel_metrics": "anthropic",
    "anthropic_usage": "anthropic",
    "claude_code_analytics": "anthropic",
}


def forwards(apps, schema_editor):
    Identity = apps.get_model("accounts", "Identity")
    UsageEvent = apps.get_model("ingest", "UsageEvent")
    for identity in Identity.objects.filter(source__in=list(NAMESPACES)).order_by("developer_id", "pk"):
        namespace = NAMESPACES[identity.source]
        kept = Identity.objects.filter(source=namespace, external_id=identity.external_id).first()
        if kept is None:
            identity.source = namespace
            identity.save(update_fields=["source"])
            continue
        if kept.developer_id is None and identity.developer_id is not None:
            kept.developer_id = identity.developer_id
            kept.save(update_fields=["developer"])
        UsageEvent.objects.filter(identity_id=identity.pk).update(identity_id=kept.pk, developer_id=kept.developer_id)
        identity.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("ingest", "0004_daily_aggregates"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
