"""The Reports page's export form: which month, which format, which breakdown (CSV)."""
from __future__ import annotations

from django import forms

from costdash.limits.forms import MonthForm

from .formats import WRITERS
from .models import GeneratedReport


class ExportForm(MonthForm):
    """``month`` (YYYY-MM, up to today's), ``format`` and, for a CSV, ``sheet`` (the breakdown;
    checked against the report's own by services.report_generate)."""

    format = forms.ChoiceField(choices=[(f, label) for f, label in GeneratedReport.Format.choices if f in WRITERS])
    sheet = forms.SlugField(required=False, max_length=40)

    def clean_month(self):
        month = super().clean_month()
        if month is None:
            raise forms.ValidationError("Choose a month.")
        return month


class CloseForm(MonthForm):
    """Close or reopen: ``month`` (YYYY-MM) and an optional ``note`` (why), kept in the log."""

    note = forms.CharField(required=False, max_length=2000, strip=True)

    def clean_month(self):
        month = super().clean_month()
        if month is None:
            raise forms.ValidationError("Choose a month.")
        return month
