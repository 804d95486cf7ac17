from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "costdash.pricing"
    label = "pricing"
