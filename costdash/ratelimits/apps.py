from django.apps import AppConfig


class RateLimitsConfig(AppConfig):
    name = "costdash.ratelimits"
    label = "ratelimits"
    verbose_name = "Rate-limit planning"
