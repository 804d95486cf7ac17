from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "costdash.planning"
    label = "planning"
    verbose_name = "Plan advice"
