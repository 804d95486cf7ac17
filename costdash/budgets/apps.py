from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "costdash.budgets"
    label = "budgets"
    verbose_name = "Budgets"
