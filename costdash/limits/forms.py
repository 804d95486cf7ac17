"""The limit form (admins) and the month picker (everyone who sees the page)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from django import forms

from costdash.lib.dates import EARLIEST_DAY

from .models import SpendLimit


class SpendLimitForm(forms.ModelForm):
    """A limit. The amount must be more than $0 and the warning share strictly between 0 and 1; a
    second org limit, or a second limit on one workspace, is refused by the model's constraints
    with a message that says to edit the existing one."""

    class Meta:
        model = SpendLimit
        fields = ["scope", "workspace", "amount", "warning_share", "note"]
        widgets = {
            "scope": forms.RadioSelect,
            "workspace": forms.TextInput(attrs={"list": "known-workspaces", "autocomplete": "off"}),
            "amount": forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
            "warning_share": forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "max": "0.99"}),
        }
        labels = {"amount": "Monthly limit (USD)", "warning_share": "Warning share"}
        help_texts = {"workspace": f"{SpendLimit._meta.get_field('workspace').help_text} Only for a workspace limit."}

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError("The monthly limit must be more than $0.")
        return amount

    def clean_warning_share(self):
        share = self.cleaned_data["warning_share"]
        if share is not None and not 0 < share < 1:
            raise forms.ValidationError("The warning share must be between 0 and 1, e.g. 0.8 to warn at 80%.")
        return share

    def clean(self):
        data = super().clean()
        workspace = (data.get("workspace") or "").strip()
        if data.get("scope") == SpendLimit.Scope.ORG:
            workspace = ""  # the org limit names no workspace, whatever was typed
        elif data.get("scope") == SpendLimit.Scope.WORKSPACE and not workspace:
            self.add_error("workspace", "Name the workspace this limit is for.")
        data["workspace"] = workspace
        return data


EARLIEST_MONTH = EARLIEST_DAY  # a month's first day


class MonthForm(forms.Form):
    """``?month=YYYY-MM``: a month from EARLIEST_MONTH up to today's. Anything else is an error; the
    page then shows today's month (the API answers 400)."""

    month = forms.CharField(required=False)

    def __init__(self, data, *, today: date):
        super().__init__(data)
        self.today = today

    def clean_month(self) -> date | None:
        text = self.cleaned_data["month"].strip()
        if not text:
            return None
        try:
            month = datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(f"“{text[:20]}” is not a month: use YYYY-MM, e.g. 2026-03.") from None
        if month > self.today:
            raise forms.ValidationError(f"{month:%B %Y} has not started yet.")
        if month < EARLIEST_MONTH:
            raise forms.ValidationError(f"“{text[:20]}” is too long ago: months start at {EARLIEST_MONTH:%Y-%m}.")
        return month

    def first_day(self, default: date | None = None) -> date:
        """The first day of the month to show: the one asked for, else ``default``'s (today's)."""
        chosen = self.cleaned_data.get("month") if self.is_valid() else None
        return chosen or (default or self.today).replace(day=1)

    def page_context(self, month: date) -> dict:
        """What templates/dashboard/_month_picker.html and _month_error.html show for ``month``:
        month, month_form, today, current_month, previous_month, next_month (None from today's)."""
        current = self.today.replace(day=1)
        return {
            "month": month, "month_form": self, "today": self.today, "current_month": current,
            "previous_month": (month - timedelta(days=1)).replace(day=1),
            "next_month": (month + timedelta(days=31)).replace(day=1) if month < current else None,
        }
