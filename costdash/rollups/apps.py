from django.apps import AppConfig


class RollupsConfig(AppConfig):
    name = "costdash.rollups"
    label = "rollups"

    def ready(self):
        # Load the Celery app with Django, so every @shared_task binds to it (its settings,
        # its broker). `celery -A costdash` finds it as costdash.celery on its own.
        from costdash import celery  # noqa: F401
