"""The advice window: ``?month=YYYY-MM`` (its last month) and ``?months=N``, and ``?team=<id>``."""
from __future__ import annotations

from datetime import date, timedelta

from django import forms

from costdash.limits.forms import MonthForm

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
