"""The advice window (``?month=YYYY-MM``, ``?months=N``, ``?team=<id>``) and the plan price form."""
from __future__ import annotations

from datetime import date, timedelta

from django import forms

from costdash.limits.forms import MonthForm

from .models import PlanPrice

DEFAULT_MONTHS = 6
MAX_MONTHS = 24


class AdviceWindowForm(MonthForm):
    """The window ends with ``month`` (default: the last whole month before today's) and spans
    ``months`` months (1-24, default 6). ``team``: a team's developers only (admins and billing).
    A bad value is an error: the page shows the default instead, the API answers 400."""

    months = forms.IntegerField(required=False, min_value=1, max_value=MAX_MONTHS)
    team = forms.IntegerField(required=False, min_value=1)

    def last_month(self) -> date:
        return self.first_day(default=self.today.replace(day=1) - timedelta(days=1))

    def month_count(self) -> int:
        return (self.cleaned_data.get("months") if self.is_valid() else None) or DEFAULT_MONTHS

    def team_id(self) -> int | None:
        return self.cleaned_data.get("team") if self.is_valid() else None


PLAN_PRICE_FIELDS = ["plan", "monthly_price", "effective_from", "as_of", "source", "confidence", "note"]


class PlanPriceForm(forms.ModelForm):
    """A dated plan price an admin adds (the Plan prices page and the Django admin): it starts on a month's first
    day, and a plan with no published price keeps the price empty, never $0."""

    class Meta:
        model = PlanPrice
        fields = PLAN_PRICE_FIELDS
        widgets = {
            "monthly_price": forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
            "effective_from": forms.DateInput(attrs={"type": "date"}),
            "as_of": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {"monthly_price": "Per person per month (USD)", "effective_from": "From (a month's first day)"}

    def clean_effective_from(self):
        day = self.cleaned_data["effective_from"]
        if day is not None and day.day != 1:
            raise forms.ValidationError("A plan price starts on a month's first day, e.g. 2026-12-01.")
        return day

    def clean_monthly_price(self):
        price = self.cleaned_data["monthly_price"]
        if price is not None and price <= 0:
            raise forms.ValidationError("Leave the price empty when none is published: never $0.")
        return price
