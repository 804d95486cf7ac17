"""The budget form and LiteLLM's address and key (admins only)."""
from __future__ import annotations

from django import forms

from costdash.accounts.models import Developer, Team
from costdash.lib.http import secret_may_go_to

from .models import Budget, parse_shares, share_text


class BudgetForm(forms.ModelForm):
    """A budget: more than $0, shares as percentages, the developer or team its scope names (the other
    is cleared). A second budget for one subject and period is refused by the model's constraints."""

    class Meta:
        model = Budget
        fields = ["scope", "developer", "team", "period", "amount", "alert_shares", "litellm_id", "note"]
        widgets = {
            "scope": forms.RadioSelect,
            "period": forms.RadioSelect,
            "amount": forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
        }
        labels = {"amount": "Amount (USD per period)", "alert_shares": "Alert at (% of the amount)",
                  "litellm_id": "LiteLLM user_id / team_id"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["developer"].queryset = Developer.objects.order_by("name", "email")
        self.fields["team"].queryset = Team.objects.order_by("name")

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError("The budget must be more than $0.")
        return amount

    def clean_alert_shares(self):
        return ", ".join(share_text(s) for s in parse_shares(self.cleaned_data["alert_shares"]))

    def clean(self):
        data = super().clean()
        scope = data.get("scope")
        if scope != Budget.Scope.DEVELOPER:
            data["developer"] = None
        elif not data.get("developer"):
            self.add_error("developer", "Choose the developer this budget is for.")
        if scope != Budget.Scope.TEAM:
            data["team"] = None
        elif not data.get("team"):
            self.add_error("team", "Choose the team this budget is for.")
        if scope == Budget.Scope.DEFAULT:
            data["litellm_id"] = ""
        return data

    def _post_clean(self):
        # The cleared developer/team must reach the instance before the model's constraints are checked.
        for name in ("developer", "team", "litellm_id"):
            if name in self.cleaned_data:
                setattr(self.instance, name, self.cleaned_data[name])
        super()._post_clean()


class LiteLLMConnectionForm(forms.Form):
    base_url = forms.URLField(label="LiteLLM proxy address", assume_scheme="https",
                              help_text="https://…; the master key is sent only there.")
    master_key = forms.CharField(
        label="Master key", required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted and never shown again. Leave empty to keep the stored key.",
    )

    def __init__(self, *args, has_key: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_key = has_key

    def clean_base_url(self):
        url = self.cleaned_data["base_url"].rstrip("/")
        if not secret_may_go_to(url):
            raise forms.ValidationError("Use an https address: the master key is never sent over plain http.")
        return url

    def clean(self):
        data = super().clean()
        if not data.get("master_key") and not self.has_key:
            self.add_error("master_key", "Enter the proxy's master key.")
        return data
