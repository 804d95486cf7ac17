"""The price row form: the admin pages' and the Django admin's (one validation for both)."""
from __future__ import annotations

from django import forms

from costdash.pricing.models import ModelPrice
from costdash.pricing.rates import Rate, normalize_model

RATE_FIELDS = [f.name for f in ModelPrice._meta.fields if f.name not in ("id", "from_rate_file")]
_PRICE_FIELDS = ("input", "cache_write_5m", "cache_write_1h", "cache_read", "output")


class ModelPriceForm(forms.ModelForm):
    """A row an admin adds or corrects. The model id is stored as its lookup key (a pasted dated or Bedrock id
    still prices requests) and the row must pass the checks the rate table applies when it loads rows."""

    class Meta:
        model = ModelPrice
        fields = RATE_FIELDS
        widgets = {
            "effective_from": forms.DateInput(attrs={"type": "date"}),
            "effective_until": forms.DateInput(attrs={"type": "date"}),
            **{name: forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"})
               for name in (*_PRICE_FIELDS, "us_multiplier")},
        }
        labels = {name: f"{name.replace('_', ' ').capitalize()} (USD per million tokens)" for name in _PRICE_FIELDS}

    def clean_model(self) -> str:
        return normalize_model(self.cleaned_data["model"])

    def clean(self):
        cleaned = super().clean()
        if not self.errors and set(RATE_FIELDS) <= set(self.fields):  # file rows are all read-only
            try:  # the same validation the rate table applies when it loads rows
                Rate.from_mapping({name: cleaned.get(name) for name in RATE_FIELDS})
            except (TypeError, ValueError) as exc:
                raise forms.ValidationError(str(exc)) from exc
        return cleaned
