from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "costdash.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self):
        # Beat's heartbeat is written by the process that publishes the heartbeat task (beat itself), so the
        # signal is connected in every process that loads Django (beat does: Celery's Django fixup sets it up).
        from . import heartbeats

        heartbeats.connect()
