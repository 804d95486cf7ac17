from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "costdash.ingest"
    label = "ingest"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from costdash.accounts.models import Developer

        from .upsert import developer_deleting

        # UsageEvent.developer has no FK constraint (ingest 0015): a deletion waits for writes of their events.
        pre_delete.connect(developer_deleting, sender=Developer, dispatch_uid="ingest.upsert.developer_deleting")
