from django.apps import AppConfig


class EmbeddedConfig(AppConfig):
    name = "costdash.embedded"
    label = "embedded"
    verbose_name = "Embedded default (make run)"
