"""The spend page's date range, read from GET ?since=YYYY-MM-DD&until=YYYY-MM-DD."""
from datetime import date, timedelta

from django import forms

DEFAULT_DAYS = 30
MAX_DAYS = 366


class SpendRangeForm(forms.Form):
    """An inclusive range of org-local days.

    Both fields are optional: `until` defaults to today (in the org's time zone, passed in),
    `since` to the 30 days ending at `until`. since must not be after until, and a range is
    at most 366 days so a page stays quick. `date_range()` always answers: the cleaned range
    when the input is valid, the default range otherwise (the errors stay on the form).
    """

    since = forms.DateField(required=False)
    until = forms.DateField(required=False)

    def __init__(self, data, *, today: date):
        super().__init__(data)
        self.today = today

    def _default(self, until: date | None = None) -> tuple[date, date]:
        until = until or self.today
        return until - timedelta(days=DEFAULT_DAYS - 1), until

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        until = cleaned.get("until") or self.today
        since = cleaned.get("since") or self._default(until)[0]
        if since > until:
            raise forms.ValidationError(f"The start date ({since}) is after the end date ({until}).")
        if (until - since).days + 1 > MAX_DAYS:
            raise forms.ValidationError(f"Choose a range of at most {MAX_DAYS} days.")
        cleaned["since"], cleaned["until"] = since, until
        return cleaned

    def date_range(self) -> tuple[date, date]:
        if self.is_valid():
            return self.cleaned_data["since"], self.cleaned_data["until"]
        return self._default()
