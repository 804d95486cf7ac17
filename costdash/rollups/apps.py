from django.apps import AppConfig


class RollupsConfig(AppConfig):
    name = "costdash.rollups"
    label = "rollups"
    # The Celery app is not loaded here: every tasks module loads it (costdash.celery), so a task is bound to it
    # before any use, and a command that queues no task never imports Celery.
