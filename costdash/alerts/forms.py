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
        fields = ["name", "enabled", "notify_developer", "team", "digest", "quiet_start", "quiet_end"]
        labels = {"notify_developer": "Also to the developer", "team": "Only this team's alerts",
                  "digest": "Send", "quiet_start": "Quiet hours from", "quiet_end": "Quiet hours until"}
        widgets = {"quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
        help_texts = {
            "notify_developer": "Each alert about a developer also goes to that developer (in Cc). With no addresses "
                                "above, the channel writes to the developer concerned alone. Not with a digest.",
            "team": "A team's channel gets only its own alerts: about a developer in the team, or about the team "
                    "itself (its average). Org-wide alerts (limits, imports, models) do not reach it. "
                    "Empty: every alert.",
            "digest": "A digest replaces single alerts on this channel: the day's (or the Monday-to-Sunday week's) "
                      "spend, who crossed what, the open alerts and the top sessions, once per period, sent after "
                      "COSTDASH_ALERT_DIGEST_HOUR o'clock (org time) and outside the quiet hours.",
            "quiet_start": "In the org's time zone. During quiet hours only urgent alerts are sent; the others wait "
                           "until they end. Leave both empty for none; 22:00 to 07:00 spans midnight.",
        }

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
        elif stored:  # e-mail: the addresses themselves (its hint for none is a sentence, not an address)
            target.initial = ", ".join(stored["to"]) if kind == Channel.Kind.EMAIL else self.transport.hint(stored)
        if not self.transport.needs_signing_secret:
            del self.fields["signing_secret"]
        elif stored:
            self.fields["signing_secret"].help_text += " Leave empty to keep the stored one."
        if kind != Channel.Kind.EMAIL:
            del self.fields["notify_developer"]
        else:
            target.help_text += " May be empty when it also writes to the developer: then only to them."
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["team"].empty_label = "Every team (and org-wide alerts)"

    def _stored_config(self) -> dict | None:
        if not self.instance.pk:
            return None
        try:
            return self.instance.config()
        except SecretUnreadable:
            return None  # the keys changed: the form asks for everything again

    def clean(self):
        data = super().clean()
        to_developer = bool(data.get("notify_developer"))
        extra = {"allow_none": to_developer} if self.instance.kind == Channel.Kind.EMAIL else {}
        try:
            self.config = self.transport.config_from(
                data.get("target", ""), data.get("signing_secret", ""), self._stored_config(), **extra)
        except forms.ValidationError as exc:
            self.add_error(None, exc)
        if to_developer and data.get("digest"):
            self.add_error("digest", "A digest goes to the channel's addresses only: untick “Also to the developer”, "
                                     "or make a separate channel that writes to developers.")
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if (start is None) != (end is None):
            missing = "quiet_end" if end is None else "quiet_start"
            self.add_error(missing, "Give both ends of the quiet hours, or neither.")
        elif start is not None and start == end:
            self.add_error("quiet_end", "The quiet hours must end at another time than they start.")
        return data


URGENCY_CHOICES = [("", "The kind's default"), ("true", "Urgent: sent even in quiet hours"),
                   ("false", "Not urgent: waits for a channel's quiet hours to end")]


class RuleForm(forms.ModelForm):
    urgent = forms.TypedChoiceField(
        choices=URGENCY_CHOICES, required=False, empty_value=None,
        coerce=lambda value: {"true": True, "false": False}.get(value), label="Urgency",
        help_text="The default is urgent for a line crossed: the daily ceiling, and a spend limit share of 100% or "
                  "more (or a budget reached); not urgent for the rest (projections, 50% and 80% shares, the team "
                  "average, the operational kinds).",
    )

    class Meta:
        model = AlertRule
        fields = ["kind", "name", "threshold", "scope", "team", "developer", "window_days", "channels", "urgent",
                  "enabled"]
        widgets = {"scope": forms.RadioSelect, "channels": forms.SelectMultiple(attrs={"size": 6})}
        help_texts = {
            "threshold": "Dollars for the daily ceiling, its projection and the team average; percent of the "
                         "limit for the spend limit kinds; not used by the operational kinds.",
            "channels": "None chosen: every channel, as before (channels added later included). A team's channel "
                        "still gets only that team's alerts.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"] = forms.ChoiceField(choices=[(k.key, k.label) for k in KINDS.values()])
        self.fields["channels"].queryset = Channel.objects.order_by("name", "pk")
        if self.instance.pk and self.instance.urgent is not None:
            self.initial["urgent"] = "true" if self.instance.urgent else "false"
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
