from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "costdash.dashboard"
    label = "dashboard"
