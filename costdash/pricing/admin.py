"""ModelPrice admin. Rows from rates.toml are read-only here: edit the file and run pricing_sync.

To correct or extend a price, add a row: a later effective_from wins, and on the same
effective_from an admin row wins over a file row. Every save and delete drops the cached rate table.
"""
from django import forms
from django.contrib import admin
from django.db import transaction

from costdash.pricing.models import ModelPrice
from costdash.pricing.rates import Rate, normalize_model
from costdash.pricing.services import rate_table_invalidate

_RATE_FIELDS = [f.name for f in ModelPrice._meta.fields if f.name not in ("id", "from_rate_file")]


class ModelPriceForm(forms.ModelForm):
    class Meta:
        model = ModelPrice
        fields = _RATE_FIELDS

    def clean_model(self) -> str:
        # Store the lookup key, so a pasted dated or Bedrock id still prices requests.
        return normalize_model(self.cleaned_data["model"])

    def clean(self):
        cleaned = super().clean()
        if not self.errors and set(_RATE_FIELDS) <= set(self.fields):  # file rows are all read-only
            try:  # the same validation the rate table applies when it loads rows
                Rate.from_mapping({name: cleaned.get(name) for name in _RATE_FIELDS})
            except (TypeError, ValueError) as exc:
                raise forms.ValidationError(str(exc)) from exc
        return cleaned


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
        super().save_model(request, obj, form, change)
        _invalidate([obj.model])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        _invalidate([obj.model])

    def delete_queryset(self, request, queryset):
        models = sorted(set(queryset.filter(from_rate_file=False).values_list("model", flat=True)))
        super().delete_queryset(request, queryset.filter(from_rate_file=False))
        _invalidate(models)


def _invalidate(models: list[str]) -> None:
    """Drop cached tables, then reprice the changed models' events and recompute their days."""
    from costdash.ingest.tasks import usage_events_reprice

    rate_table_invalidate()  # this request's connection already sees the change
    transaction.on_commit(rate_table_invalidate)  # a table rebuilt mid-transaction elsewhere is stale
    transaction.on_commit(lambda: usage_events_reprice.delay(models))
