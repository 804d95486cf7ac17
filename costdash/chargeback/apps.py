from django.apps import AppConfig


class ChargebackConfig(AppConfig):
    name = "costdash.chargeback"
    label = "chargeback"
    verbose_name = "Chargeback"
