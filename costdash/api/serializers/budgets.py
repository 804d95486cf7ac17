"""Budgets: what is set (amount, period, alert shares) and where each stands in its current period."""
from rest_framework import serializers

from costdash.accounts.models import Developer, Team
from costdash.budgets.models import BUDGET_EXISTS, Budget, parse_shares, share_text

from ..fields import FractionField, MoneyField
from .alerts import DeveloperRefSerializer


class BudgetStandingSerializer(serializers.Serializer):
    developer = DeveloperRefSerializer(allow_null=True, help_text="Whom it counts (null: a team budget)")
    period_start = serializers.DateField(source="start", help_text="The period's first org-local day")
    period_end = serializers.DateField(source="end")
    as_of = serializers.DateField(source="today", help_text="The last day counted (today, partial)")
    spend = MoneyField()
    share_used = FractionField(help_text="spend / amount (may pass 1)")
    burn_rate = MoneyField(help_text="Average of the 7 full days before today, per day")
    projected = MoneyField(help_text="The period's end at the burn rate")
    reach_day = serializers.DateField(allow_null=True, help_text="The day spend goes (or went) over the amount")
    reach_is_projected = serializers.BooleanField()
    status = serializers.CharField(help_text="ok, near (80% used), projected (over by the period's end), over")


class BudgetEnforcementSerializer(serializers.Serializer):
    state = serializers.CharField(allow_null=True, help_text="enforced, changed, removed, failed or null")
    error = serializers.CharField(help_text="LiteLLM's error, when the last call failed")
    at = serializers.DateTimeField(source="created_at")


class BudgetSerializer(serializers.ModelSerializer):
    """Write: scope with its developer or team, period, amount, alert_shares ("50, 80, 100")."""

    amount = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    developer = serializers.PrimaryKeyRelatedField(queryset=Developer.objects.all(), allow_null=True, required=False)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), allow_null=True, required=False)
    standing = serializers.SerializerMethodField()
    enforcement = serializers.SerializerMethodField()

    class Meta:
        model = Budget
        fields = ["id", "scope", "developer", "team", "period", "amount", "alert_shares", "litellm_id", "note",
                  "standing", "enforcement", "updated_at"]
        read_only_fields = ["id", "standing", "enforcement", "updated_at"]
        validators = []  # the unique constraints answer as a 400 with BUDGET_EXISTS (the view)

    def validate_amount(self, value):
        if value <= 0:
            raise serializers.ValidationError("The budget must be more than $0.")
        return value

    def validate_alert_shares(self, value):
        try:
            return ", ".join(share_text(s) for s in parse_shares(value))
        except Exception as exc:  # a ValidationError from the model's parser
            raise serializers.ValidationError(getattr(exc, "messages", [str(exc)])) from None

    def validate(self, data):
        merged = {f: data.get(f, getattr(self.instance, f, None)) for f in ("scope", "developer", "team")}
        scope = merged["scope"] or Budget.Scope.DEVELOPER
        if scope == Budget.Scope.DEVELOPER and merged["developer"] is None:
            raise serializers.ValidationError({"developer": "Name the developer this budget is for."})
        if scope == Budget.Scope.TEAM and merged["team"] is None:
            raise serializers.ValidationError({"team": "Name the team this budget is for."})
        if scope != Budget.Scope.DEVELOPER:
            data["developer"] = None
        if scope != Budget.Scope.TEAM:
            data["team"] = None
        return data

    def get_standing(self, budget) -> BudgetStandingSerializer(many=True):
        return BudgetStandingSerializer(self.context.get("standings", {}).get(budget.pk, []), many=True).data

    def get_enforcement(self, budget) -> BudgetEnforcementSerializer(allow_null=True):
        push = self.context.get("pushes", {}).get(budget.pk)
        if push is None:
            return None
        from costdash.budgets.enforcement import enforcement_state

        return {"state": enforcement_state(budget, push), "error": push.error, "at": push.created_at}


EXISTS = BUDGET_EXISTS
