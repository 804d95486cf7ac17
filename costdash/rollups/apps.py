from django.apps import AppConfig


class RollupsConfig(AppConfig):
    name = "costdash.rollups"
    label = "rollups"
    # The Celery app is not loaded here: every tasks module loads it (costdash.celery), so a task is bound to it
    # before any use, and a command that queues no task never imports Celery.

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from costdash.accounts.models import Developer

        from .org_days import developer_deleting

        # A developer deleted takes their DailyCost rows with them (cascade): the org's days follow.
        pre_delete.connect(developer_deleting, sender=Developer, dispatch_uid="rollups.org_days.developer_deleting")
