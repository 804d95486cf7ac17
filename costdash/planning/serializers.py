"""Plan advice in the API: the plan table and the advice (planning.selectors), as exact decimals.

Money is a decimal string (api.fields.MoneyField); a ratio is rounded to six places (FractionField);
null is unknown (a plan with no published price), never $0.
"""
from rest_framework import serializers

from costdash.api.fields import FractionField, MoneyField


class PlanPriceSerializer(serializers.Serializer):
    plan = serializers.CharField(help_text="pro, max_5x, max_20x, team_premium or enterprise")
    label = serializers.CharField()
    monthly_price = MoneyField(allow_null=True, help_text="USD per person per month; null: no published price")
    effective_from = serializers.DateField(allow_null=True, help_text="First month it applies to; null: always")
    as_of = serializers.DateField(help_text="The day the figure was read at its source")
    source = serializers.CharField()
    confidence = serializers.CharField(help_text="verified, partial or unverified")
    note = serializers.CharField()
    from_seed = serializers.BooleanField(help_text="Seeded from the published figures (read-only)")


class PlanTableSerializer(serializers.Serializer):
    limits_not_modelled = serializers.CharField()
    plans = PlanPriceSerializer(many=True)


class OptionSerializer(serializers.Serializer):
    option = serializers.CharField(source="key", help_text='"api" (stay on the API) or a plan')
    label = serializers.CharField()
    cost = MoneyField()


class PlanMonthSerializer(serializers.Serializer):
    plan = serializers.CharField()
    label = serializers.CharField()
    price = MoneyField(allow_null=True, help_text="The fee in force on the month's first day; null: no price")
    saving = MoneyField(allow_null=True, help_text="API spend minus the fee; negative: the plan costs more")
    ratio = FractionField(allow_null=True, help_text="API spend over the fee (2.5 = two and a half fees)")
    passes_on = serializers.DateField(allow_null=True, help_text="The day the month's running spend passed the fee")


class DeveloperMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="The month's first day")
    spend = MoneyField(help_text="API spend: priced requests only")
    unpriced_requests = serializers.IntegerField(help_text="Requests with no known price, left out of spend")
    plans = PlanMonthSerializer(many=True)
    cheapest = OptionSerializer()


class PlanDeveloperRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    team = serializers.CharField(source="team.name", default=None, allow_null=True)


class DeveloperAdviceSerializer(serializers.Serializer):
    developer = PlanDeveloperRefSerializer()
    spend = MoneyField()
    unpriced_requests = serializers.IntegerField()
    totals = OptionSerializer(many=True, help_text="The API, then each plan priced in every month of the window")
    best = OptionSerializer()
    saving = MoneyField()
    months_cheaper = serializers.DictField(child=serializers.IntegerField(),
                                           help_text="Per plan: the months it was cheaper than the API")


class DeveloperAdviceDetailSerializer(DeveloperAdviceSerializer):
    months = DeveloperMonthSerializer(many=True)


class TeamMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    spend = MoneyField()
    mix = MoneyField(help_text="Each developer on their cheapest option that month")
    saving = MoneyField()
    counts = serializers.DictField(child=serializers.IntegerField())


class TeamTotalsSerializer(serializers.Serializer):
    name = serializers.CharField(help_text='"" for developers in no team')
    developers = serializers.IntegerField()
    spend = MoneyField()
    mix = MoneyField()
    saving = MoneyField()


class AdviceWindowSerializer(serializers.Serializer):
    limits_not_modelled = serializers.CharField(source="limits_note")
    months = serializers.ListField(child=serializers.DateField())
    partial_through = serializers.DateField(allow_null=True, help_text="The last day counted of an unfinished month")


class AdviceSerializer(AdviceWindowSerializer):
    spend = MoneyField(help_text="Today's API spend over the window")
    mix = MoneyField(help_text="Each developer on their one cheapest option for the window")
    saving = MoneyField()
    mix_counts = serializers.DictField(child=serializers.IntegerField())
    by_month = TeamMonthSerializer(many=True)
    teams = TeamTotalsSerializer(many=True, help_text="Admins and billing only; empty for a developer")
    developers = DeveloperAdviceSerializer(many=True)


class DeveloperAdviceResponseSerializer(AdviceWindowSerializer):
    advice = DeveloperAdviceDetailSerializer(allow_null=True, help_text="null: no usage in the window")
