from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "costdash.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self):
        # Beat's heartbeat is written by the process that publishes the heartbeat task (beat itself), so the
        # signal is connected in every process that loads Django (beat does: Celery's Django fixup sets it up)
        # and the Celery app (beat and workers load it before Django; any other process before it queues a task).
        from django.conf import settings

        from costdash.lib.celery_signals import on_celery_load

        from . import heartbeats
        from .logs import celery_logging_connect

        on_celery_load(heartbeats.connect)
        # Before a worker or beat sets up its logging (they load the app, then Django, then set up logging).
        on_celery_load(lambda: celery_logging_connect(settings.COSTDASH_LOG_FORMAT))
