"""The chargeback rule form (admins)."""
from __future__ import annotations

from django import forms

from .models import ChargebackRule, Dimension


class ChargebackRuleForm(forms.ModelForm):
    """A rule. An OpenTelemetry rule names its attribute; every rule but the default names a value
    or glob to match; the default matches everything, so its pattern and attribute are dropped."""

    class Meta:
        model = ChargebackRule
        fields = ["position", "dimension", "attribute", "pattern", "cost_center", "note"]
        labels = {"pattern": "Matches", "cost_center": "Cost center"}

    def clean(self):
        data = super().clean()
        dimension = data.get("dimension")
        data["attribute"] = (data.get("attribute") or "").strip()
        data["pattern"] = (data.get("pattern") or "").strip()
        data["cost_center"] = (data.get("cost_center") or "").strip()
        if dimension == Dimension.EVERYTHING:
            data["attribute"] = data["pattern"] = ""
            return data
        if dimension != Dimension.OTEL:
            data["attribute"] = ""
        elif not data["attribute"]:
            self.add_error("attribute", "Name the resource attribute, e.g. team.id or cost_center.")
        if dimension and not data["pattern"]:
            self.add_error("pattern", "Give the value to match (or a glob such as payments-*).")
        return data
