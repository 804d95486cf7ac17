from __future__ import annotations

from urllib.parse import urlencode

from django import forms

from costdash.accounts.models import Developer, Team
from costdash.lib.encryption import SecretUnreadable

from .kinds import KINDS
from .models import AlertEvent, AlertRule, Channel
from .transports import TRANSPORTS


class AlertFilterForm(forms.Form):
    """The list's filters: ?rule=&developer=&state= (developers limited to those the viewer may see)."""

    rule = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    developer = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(required=False, choices=[("", "Any state"), *AlertEvent.State.choices])

    def __init__(self, data, *, developers):
        super().__init__(data)
        self.fields["rule"].choices = [("", "Any rule")] + [(r.pk, str(r)) for r in AlertRule.objects.all()]
        self.fields["developer"].choices = [("", "Anyone")] + [(d.pk, d.display_name) for d in developers]

    def apply(self, events):
        if not self.is_valid():
            return events
        data = self.cleaned_data
        if data["rule"]:
            events = events.filter(rule_id=data["rule"])
        if data["developer"]:
            events = events.filter(developer_id=data["developer"])
        if data["state"]:
            events = events.filter(state=data["state"])
        return events

    def querystring(self) -> str:
        """The valid filters, for pager links."""
        if not self.is_valid():
            return ""
        return urlencode({k: v for k, v in self.cleaned_data.items() if v not in (None, "")})


class AcknowledgeForm(forms.Form):
    note = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text="What was done or why it is fine (optional).")


class ChannelForm(forms.ModelForm):
    """A channel of one kind (chosen before the form). Webhook URLs and the signing secret are
    write-only: never rendered back; left empty on edit, the stored value stays."""

    target = forms.CharField(required=False, max_length=2000, strip=True)
    signing_secret = forms.CharField(
        required=False, max_length=200, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="At least 16 characters, also given to the receiver: it checks each body's "
                  "X-Costdash-Signature with it. Stored encrypted, never shown again.",
    )

    class Meta:
        model = Channel
        fields = ["name", "enabled", "notify_developer"]

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.transport = TRANSPORTS[kind]
        self.instance.kind = kind
        self.config: dict | None = None
        target = self.fields["target"]
        target.label, target.help_text = self.transport.target_label, self.transport.target_help
        stored = self._stored_config()
        if self.transport.target_is_secret:
            target.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
            if stored:
                target.help_text += f" Stored: {self.instance.hint}. Leave empty to keep it."
        elif stored:
            target.initial = self.transport.hint(stored)
        if not self.transport.needs_signing_secret:
            del self.fields["signing_secret"]
        elif stored:
            self.fields["signing_secret"].help_text += " Leave empty to keep the stored one."
        if kind != Channel.Kind.EMAIL:
            del self.fields["notify_developer"]

    def _stored_config(self) -> dict | None:
        if not self.instance.pk:
            return None
        try:
            return self.instance.config()
        except SecretUnreadable:
            return None  # the keys changed: the form asks for everything again

    def clean(self):
        data = super().clean()
        try:
            self.config = self.transport.config_from(
                data.get("target", ""), data.get("signing_secret", ""), self._stored_config())
        except forms.ValidationError as exc:
            self.add_error(None, exc)
        return data


class RuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = ["kind", "name", "threshold", "scope", "team", "developer", "window_days", "enabled"]
        widgets = {"scope": forms.RadioSelect}
        help_texts = {
            "threshold": "Dollars for the daily ceiling, its projection and the team average; percent of the "
                         "limit for the spend limit kinds; not used by the operational kinds.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"] = forms.ChoiceField(choices=[(k.key, k.label) for k in KINDS.values()])
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["developer"].queryset = Developer.objects.order_by("name", "email")
        self.fields["window_days"].help_text = "Team average only: the full days before today it averages (1-90)."

    def clean(self):
        data = super().clean()
        kind = KINDS.get(data.get("kind") or "")
        if kind is None:
            return data
        scope = data.get("scope")
        if scope and scope not in kind.scopes:
            allowed = ", ".join(dict(AlertRule.Scope.choices)[s].lower() for s in kind.scopes)
            self.add_error("scope", f"{kind.label}: the scope can be: {allowed}.")
        if scope == AlertRule.Scope.TEAM and not data.get("team"):
            self.add_error("team", "Choose the team.")
        if scope == AlertRule.Scope.DEVELOPER and not data.get("developer"):
            self.add_error("developer", "Choose the developer.")
        if scope != AlertRule.Scope.TEAM:
            data["team"] = None
        if scope != AlertRule.Scope.DEVELOPER:
            data["developer"] = None
        threshold = data.get("threshold")
        if kind.unit is not None and (threshold is None or threshold <= 0):
            self.add_error("threshold", "Enter a threshold above 0.")
        if kind.uses_window and not 1 <= (data.get("window_days") or 0) <= 90:
            self.add_error("window_days", "Choose between 1 and 90 days.")
        return data
