from django.apps import AppConfig


class LimitsConfig(AppConfig):
    name = "costdash.limits"
    label = "limits"
    verbose_name = "Spend limits"
