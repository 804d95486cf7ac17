from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "costdash.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from . import actor, tracked

        actor.connect()
        tracked.register_all()
