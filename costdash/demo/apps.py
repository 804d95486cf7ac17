from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "costdash.demo"
    label = "demo"
    verbose_name = "Demo data"
