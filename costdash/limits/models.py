"""A monthly spend limit: the org's (at most one) or one Anthropic workspace's (at most one each)."""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

DEFAULT_WARNING_SHARE = Decimal("0.8")
ORG_LIMIT_EXISTS = "There is already an org-wide limit: edit it instead of adding a second one."
WORKSPACE_LIMIT_EXISTS = "This workspace already has a limit: edit it instead of adding a second one."


class SpendLimit(models.Model):
    """``amount`` is USD per calendar month (> 0). A status turns to warning at ``warning_share`` of
    it (0 < share < 1); see limits.selectors for the exact rules. The org limit has no workspace; a
    workspace limit names the workspace as Anthropic's reports do (its id, or the Console export's
    display name)."""

    class Scope(models.TextChoices):
        ORG = "org", "Whole organisation"
        WORKSPACE = "workspace", "One Anthropic workspace"

    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.ORG)
    workspace = models.CharField(
        max_length=200, blank=True,
        help_text="The workspace id (wrkspc_…) from the Admin API, or its name in a Console export.",
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="USD per calendar month")
    warning_share = models.DecimalField(
        max_digits=4, decimal_places=3, default=DEFAULT_WARNING_SHARE,
        help_text="Warn when spend reaches this share of the limit: 0.8 means at 80%.",
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["scope", "workspace"]  # "org" sorts before "workspace"
        constraints = [
            models.UniqueConstraint(
                fields=["scope"], condition=Q(scope="org"), name="spend_limit_one_org",
                violation_error_message=ORG_LIMIT_EXISTS,
            ),
            models.UniqueConstraint(
                fields=["workspace"], condition=Q(scope="workspace"), name="spend_limit_one_per_workspace",
                violation_error_message=WORKSPACE_LIMIT_EXISTS,
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="spend_limit_amount_positive",
                violation_error_message="The monthly limit must be more than $0.",
            ),
            models.CheckConstraint(
                condition=Q(warning_share__gt=0, warning_share__lt=1), name="spend_limit_share_between_0_and_1",
                violation_error_message="The warning share must be between 0 and 1 (0.8 = warn at 80%).",
            ),
            models.CheckConstraint(
                condition=(Q(scope="org", workspace="") | (Q(scope="workspace") & ~Q(workspace=""))),
                name="spend_limit_workspace_matches_scope",
                violation_error_message="A workspace limit names its workspace; the org limit names none.",
            ),
        ]

    def __str__(self) -> str:
        return "Org limit" if self.scope == self.Scope.ORG else f"Workspace {self.workspace} limit"

    @property
    def warning_amount(self) -> Decimal:
        """Spend at which the status turns to warning."""
        return self.amount * self.warning_share

    @property
    def warning_percent(self) -> str:
        """The warning share as a percentage for people: "80%", "87.5%"."""
        return f"{format((self.warning_share * 100).normalize(), 'f')}%"
