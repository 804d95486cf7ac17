from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "costdash.connectors"
    label = "connectors"
    verbose_name = "Connectors"
