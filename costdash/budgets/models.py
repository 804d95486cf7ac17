"""A budget (a developer's, a team's, or the default for every developer), LiteLLM's address and
master key for enforcing budgets there, and a row per push to LiteLLM.

Periods are org-local (OrgSettings.time_zone): a day, an ISO week (Monday to Sunday), a calendar
month (budgets.periods).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from costdash.accounts.models import Developer, Team
from costdash.lib.encryption import secret_decrypt, secret_encrypt

DEFAULT_SHARES = "50,80,100"
MAX_SHARES = 10
BUDGET_EXISTS = ("There is already a budget for this developer, team or default and period: edit it instead of "
                 "adding a second one.")


def parse_shares(text: str) -> list[Decimal]:
    """"50, 80,100" -> [50, 80, 100] (percent, sorted, without repeats). Each share is more than 0 and
    at most 1000 with at most one decimal; ValidationError otherwise."""
    shares = set()
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip().rstrip("%").strip()
        if not part:
            continue
        try:
            share = Decimal(part)
        except InvalidOperation:
            raise ValidationError(f"“{part[:20]}” is not a percentage: write e.g. 50, 80, 100.") from None
        if not share.is_finite() or not 0 < share <= 1000 or share != share.quantize(Decimal("0.1")):
            raise ValidationError(f"“{part[:20]}”: each share is a percentage above 0 and at most 1000, "
                                  "with at most one decimal.")
        shares.add(share.quantize(Decimal("0.1")).normalize())
    if len(shares) > MAX_SHARES:
        raise ValidationError(f"At most {MAX_SHARES} alert shares.")
    return sorted(shares)


def share_text(share: Decimal) -> str:
    """A share for people and for alert subjects: "80", "87.5"."""
    return format(share.normalize(), "f")


def validate_shares(text: str) -> None:
    parse_shares(text)


class Budget(models.Model):
    """``amount`` USD per ``period``. A developer budget covers one developer; a team budget the
    team's developers together (as the team is now: a developer who moves takes their days along);
    the default budget applies to every developer who has no budget of their own for that period.
    ``alert_shares``: percentages of the amount that raise an alert (once per budget, share and
    period; for the default budget once per developer too). ``litellm_id``: the user_id (developer)
    or team_id (team) in LiteLLM, when the budget is enforced there."""

    class Scope(models.TextChoices):
        DEVELOPER = "developer", "One developer"
        TEAM = "team", "One team"
        DEFAULT = "default", "Every developer without their own (default)"

    class Period(models.TextChoices):
        DAY = "day", "Daily"
        WEEK = "week", "Weekly (ISO week, Monday to Sunday)"
        MONTH = "month", "Monthly (calendar month)"

    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.DEVELOPER)
    developer = models.ForeignKey(Developer, null=True, blank=True, on_delete=models.CASCADE, related_name="budgets")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="budgets")
    period = models.CharField(max_length=5, choices=Period.choices, default=Period.MONTH)
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="USD per period")
    alert_shares = models.CharField(
        max_length=100, default=DEFAULT_SHARES, validators=[validate_shares],
        help_text="Percentages of the amount that raise an alert, comma-separated: 50, 80, 100",
    )
    litellm_id = models.CharField(
        max_length=200, blank=True,
        help_text="For enforcement: the LiteLLM user_id (a developer; empty: their LiteLLM identity, else their "
                  "e-mail) or team_id (a team; required to enforce).",
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["scope", "period", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["developer", "period"], condition=Q(scope="developer"),
                                    name="budget_one_per_developer_period", violation_error_message=BUDGET_EXISTS),
            models.UniqueConstraint(fields=["team", "period"], condition=Q(scope="team"),
                                    name="budget_one_per_team_period", violation_error_message=BUDGET_EXISTS),
            models.UniqueConstraint(fields=["period"], condition=Q(scope="default"),
                                    name="budget_one_default_per_period", violation_error_message=BUDGET_EXISTS),
            models.CheckConstraint(condition=Q(amount__gt=0), name="budget_amount_positive",
                                   violation_error_message="The budget must be more than $0."),
            models.CheckConstraint(
                name="budget_scope_target",
                condition=(Q(scope="developer", developer__isnull=False, team=None)
                           | Q(scope="team", team__isnull=False, developer=None)
                           | Q(scope="default", team=None, developer=None)),
                violation_error_message="A developer budget names a developer, a team budget a team, the default "
                                        "neither.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_label} {self.period_adjective} budget"

    @property
    def subject_label(self) -> str:
        if self.scope == self.Scope.DEVELOPER:
            return str(self.developer)
        if self.scope == self.Scope.TEAM:
            return f"Team {self.team}"
        return "Default"

    @property
    def shares(self) -> list[Decimal]:
        return parse_shares(self.alert_shares)

    @property
    def period_word(self) -> str:
        return {"day": "a day", "week": "a week", "month": "a month"}[self.period]

    @property
    def period_adjective(self) -> str:
        return {"day": "daily", "week": "weekly", "month": "monthly"}[self.period]

    @property
    def enforceable(self) -> bool:
        """Only a developer's or a team's budget maps to a LiteLLM user or team."""
        return self.scope in (self.Scope.DEVELOPER, self.Scope.TEAM)


class LiteLLMConnection(models.Model):
    """The LiteLLM proxy budgets are pushed to: its address and master key (at most one row). The key
    is stored encrypted and read only to send it: no page, log line or error shows it."""

    base_url = models.URLField(help_text="The LiteLLM proxy, e.g. https://litellm.example.com")
    key_ciphertext = models.TextField(editable=False)
    key_hint = models.CharField(max_length=40, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    def __str__(self) -> str:
        return self.base_url

    def __repr__(self) -> str:  # never the key
        return f"<LiteLLMConnection {self.pk} {self.base_url!r}>"

    def set_master_key(self, raw: str) -> None:
        self.key_ciphertext = secret_encrypt(raw)
        self.key_hint = f"…{raw[-4:]}" if len(raw) > 8 else "…"

    def master_key(self) -> str:
        """The decrypted key, to send; raises SecretUnreadable when the encryption keys changed."""
        return secret_decrypt(self.key_ciphertext)


class BudgetPush(models.Model):
    """One call to LiteLLM for a budget: setting it there (``push``) or taking it off (``remove``).
    ``request`` is the JSON body sent (it holds no secret); ``response`` the start of the answer;
    ``error`` what went wrong (empty when LiteLLM accepted it). Kept when its budget is deleted."""

    class Action(models.TextChoices):
        PUSH = "push", "Set the budget in LiteLLM"
        REMOVE = "remove", "Remove the budget from LiteLLM"

    budget = models.ForeignKey(Budget, null=True, blank=True, on_delete=models.SET_NULL, related_name="pushes")
    budget_label = models.CharField(max_length=300)
    action = models.CharField(max_length=10, choices=Action.choices)
    endpoint = models.CharField(max_length=40, help_text="/user/update or /team/update")
    target = models.CharField(max_length=200, help_text="The LiteLLM user_id or team_id")
    request = models.JSONField()
    ok = models.BooleanField(default=False)
    status_code = models.IntegerField(null=True, blank=True)
    response = models.TextField(blank=True)
    error = models.TextField(blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                 help_text="The budget pushed (empty for a removal)")
    period = models.CharField(max_length=5, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.budget_label} -> {self.endpoint} {'ok' if self.ok else 'failed'}"
