from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "costdash.reports"
    label = "reports"
    verbose_name = "Monthly reports"
