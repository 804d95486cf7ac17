from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "costdash.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self):
        # Beat's heartbeat is written by the process that publishes the heartbeat task (beat itself), so the
        # signal is connected in every process that loads Django (beat does: Celery's Django fixup sets it up).
        from django.conf import settings

        from . import heartbeats
        from .logs import celery_logging_connect

        heartbeats.connect()
        celery_logging_connect(settings.COSTDASH_LOG_FORMAT)  # before a worker or beat sets up its logging
