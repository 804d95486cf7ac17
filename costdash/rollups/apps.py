from django.apps import AppConfig


class RollupsConfig(AppConfig):
    name = "costdash.rollups"
    label = "rollups"
