"""The Rate limits page's range (?since=&until=, org-local days) and the org's limits form."""
from __future__ import annotations

from datetime import date, timedelta

from django import forms

from .models import OrgRateLimit

DEFAULT_DAYS = 14
MAX_DAYS = 92


class RangeForm(forms.Form):
    since = forms.DateField(required=False, label="From")
    until = forms.DateField(required=False, label="To")

    def __init__(self, data, *, today: date):
        super().__init__(data)
        self.today = today

    def clean(self):
        data = super().clean()
        until = data.get("until") or self.today
        since = data.get("since") or until - timedelta(days=DEFAULT_DAYS - 1)
        if since > until:
            raise forms.ValidationError("The range starts after it ends.")
        if (until - since).days + 1 > MAX_DAYS:
            raise forms.ValidationError(f"Pick at most {MAX_DAYS} days.")
        data["since"], data["until"] = since, until
        return data

    def range(self) -> tuple[date, date]:
        """The valid range, else the default (the last DEFAULT_DAYS days to today)."""
        if self.is_valid():
            return self.cleaned_data["since"], self.cleaned_data["until"]
        return self.today - timedelta(days=DEFAULT_DAYS - 1), self.today


class OrgRateLimitForm(forms.ModelForm):
    class Meta:
        model = OrgRateLimit
        fields = ["itpm", "otpm", "rpm", "note"]
        help_texts = {
            "itpm": "Counts uncached input and cache writes; cache reads do not count for most current models.",
            "otpm": "Output tokens per minute.",
            "rpm": "Requests per minute.",
        }
