from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PricingConfig(AppConfig):
    name = "costdash.pricing"
    label = "pricing"

    def ready(self) -> None:
        # sender=self: Django sends post_migrate once per app; react only to this app's, so the
        # rate file is loaded once per migrate (and per test-database creation or flush).
        post_migrate.connect(_sync_rate_file_after_migrate, sender=self, dispatch_uid="pricing_sync_rate_file")


def _sync_rate_file_after_migrate(sender, using, verbosity=1, plan=None, apps=None, **kwargs) -> None:
    """Load rates.toml into ModelPrice so every fresh database can price usage at once."""
    from django.db import connections

    from costdash.pricing.models import ModelPrice
    from costdash.pricing.services import pricing_sync_rate_file

    # `migrate <other_app> 0001` still sends this signal; do nothing until the table exists.
    if ModelPrice._meta.db_table not in connections[using].introspection.table_names():
        return
    changed = pricing_sync_rate_file(using=using)
    if changed and verbosity >= 1:
        print(f"  Pricing: {changed} rate row(s) added, updated or removed from rates.toml")
