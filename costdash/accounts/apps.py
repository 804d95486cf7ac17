from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "costdash.accounts"
    label = "accounts"
