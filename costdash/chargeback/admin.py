from django.contrib import admin

from costdash.lib.admin import ReadOnlyAdmin

from .models import ChargebackRule, DailyDimensionCost


@admin.register(ChargebackRule)
class ChargebackRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "dimension", "attribute", "pattern", "cost_center", "note")
    ordering = ("position", "id")


@admin.register(DailyDimensionCost)
class DailyDimensionCostAdmin(ReadOnlyAdmin):
    list_display = ("developer", "day", "model", "source", "dimensions", "cost", "requests")
    list_filter = ("source",)
