from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "costdash.alerts"
    label = "alerts"
    verbose_name = "Alerts"
