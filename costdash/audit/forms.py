"""The audit trail's filters (?actor=&kind=&event=&since=&until=), for the page and the API."""
from __future__ import annotations

from django import forms

from .selectors import AuditFilter, audit_actors, audit_events, audit_kinds


class AuditFilterForm(forms.Form):
    actor = forms.ChoiceField(required=False, label="Who")
    kind = forms.ChoiceField(required=False, label="What")
    event = forms.ChoiceField(required=False, label="Change")
    since = forms.DateField(required=False, label="From")
    until = forms.DateField(required=False, label="To")

    def __init__(self, data=None):
        super().__init__(data)
        logins = [(user.get_username(), user.get_username()) for user in audit_actors()]
        self.fields["actor"].choices = [("", "anyone")] + logins
        self.fields["kind"].choices = [("", "anything")] + audit_kinds()
        self.fields["event"].choices = [("", "any change")] + [(e, e) for e in audit_events()]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError("The range starts after it ends.")
        return data

    def audit_filter(self) -> AuditFilter:
        """The valid filters (an invalid form filters nothing; its errors are shown)."""
        if not self.is_valid():
            return AuditFilter()
        data = self.cleaned_data
        return AuditFilter(actor=data.get("actor") or "", kind=data.get("kind") or "", event=data.get("event") or "",
                           since=data.get("since"), until=data.get("until"))
