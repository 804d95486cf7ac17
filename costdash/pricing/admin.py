"""ModelPrice admin, for superusers (admins use the Prices page, costdash.pricing.views). Rows from
rates.toml are read-only here: edit the file and run pricing_sync.

To correct or extend a price, add a row: a later effective_from wins, and on the same
effective_from an admin row wins over a file row. Every save and delete drops the cached rate table.
"""
from django.contrib import admin

from costdash.pricing.forms import RATE_FIELDS as _RATE_FIELDS
from costdash.pricing.forms import ModelPriceForm
from costdash.pricing.models import ModelPrice
from costdash.pricing.services import model_prices_changed


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    form = ModelPriceForm
    list_display = (
        "model", "speed", "min_input_tokens", "effective_from", "effective_until",
        "input", "cache_write_5m", "cache_write_1h", "cache_read", "output",
        "us_multiplier", "confidence", "from_rate_file",
    )
    list_filter = ("speed", "confidence", "from_rate_file", "model")
    search_fields = ("model", "note")
    ordering = ("model", "speed", "min_input_tokens", "effective_from")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.from_rate_file:
            return _RATE_FIELDS  # a sync would undo the edit; change rates.toml instead
        return ()

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.from_rate_file:
            return False  # the next migrate would bring it back
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        before = form.initial.get("model") if change else None  # a row moved to another model reprices both
        super().save_model(request, obj, form, change)
        model_prices_changed(sorted({obj.model, before} - {None}))

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        model_prices_changed([obj.model])

    def delete_queryset(self, request, queryset):
        models = sorted(set(queryset.filter(from_rate_file=False).values_list("model", flat=True)))
        super().delete_queryset(request, queryset.filter(from_rate_file=False))
        model_prices_changed(models)

