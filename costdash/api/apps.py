from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "costdash.api"
    label = "api"
    verbose_name = "API"
