from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "costdash.sso"
    label = "sso"
    verbose_name = "Single sign-on"
