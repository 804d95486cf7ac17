"""Daily costs, the Developers table, one developer's page and their sessions."""
from django.urls import reverse
from rest_framework import serializers

from costdash.rollups.selectors.developers import ACTIVITY_FIELDS, SESSIONS_FROM_ACTIVITY, SESSIONS_FROM_SESSION_DAYS
from costdash.rollups.thresholds import OVER_AVERAGE, OVER_CEILING, UNDER_AVERAGE

from ..fields import FractionField, MoneyField

CLASSES = [
    (UNDER_AVERAGE, "at or under the average figure ($13 by default)"),
    (OVER_AVERAGE, "over the average, at or under the daily ceiling ($30 by default)"),
    (OVER_CEILING, "over the daily ceiling"),
]


def class_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=CLASSES, read_only=True,
                                   help_text="The day's cost against the org's average and ceiling figures")


class TokensSerializer(serializers.Serializer):
    input = serializers.IntegerField(help_text="Uncached input tokens")
    output = serializers.IntegerField()
    cache_write_5m = serializers.IntegerField()
    cache_write_1h = serializers.IntegerField()
    cache_read = serializers.IntegerField()
    web_search = serializers.IntegerField(help_text="Web search requests")
    total = serializers.IntegerField(help_text="Every token of every class (web searches are not tokens)")


class ProjectCostSerializer(serializers.Serializer):
    project = serializers.CharField(help_text='The project as shown (an admin\'s name, else the repository); '
                                    '"unknown project" for sources without a working directory')
    cost = MoneyField()
    requests = serializers.IntegerField()


class DeveloperDaySerializer(serializers.Serializer):
    developer_id = serializers.IntegerField()
    developer = serializers.CharField(help_text="Name, or e-mail when the developer has no name")
    team = serializers.CharField(help_text='"" when the developer has no team')
    day = serializers.DateField(help_text="The org's day (its time zone)")
    cost = MoneyField(help_text="Priced requests only: an unpriced request is unknown, not $0")
    requests = serializers.IntegerField(help_text="Every request, priced or not")
    unpriced_requests = serializers.IntegerField(help_text="Of them, those with no known price")
    tokens = TokensSerializer()
    active = serializers.BooleanField(help_text="The day has any usage")
    cache_split = serializers.ChoiceField(
        choices=[("", "exact"), ("recovered", "split recovered"), ("assumed", "split assumed")], read_only=True,
        help_text='How its cache writes\' 5m/1h split is known: "" exact (given by the source, or no writes hid one);'
                  ' "recovered" solved from a daily source\'s own cost; "assumed" the source\'s rule'
                  " (no split explained its cost): its cost is approximate",
    )
    projects = ProjectCostSerializer(many=True, help_text="The day's spend by project, most first (under a "
                                     "`project` filter: that project only, and the row's figures are its)")

    def get_fields(self):
        return super().get_fields() | {"class": class_field()}  # a Python keyword: added here


class DeveloperRowSerializer(serializers.Serializer):
    """A row of the Developers table."""

    developer_id = serializers.IntegerField()
    developer = serializers.CharField()
    team = serializers.CharField()
    spend = MoneyField()
    active_days = serializers.IntegerField()
    average_per_active_day = MoneyField(allow_null=True)
    p90 = MoneyField(allow_null=True, help_text="90th percentile of their active days' cost (linear)")
    worst_day = serializers.DateField(allow_null=True)
    worst_day_cost = MoneyField(allow_null=True)
    days_over_ceiling = serializers.IntegerField()
    cache_hit_rate = FractionField(allow_null=True, help_text="Cache reads over all input tokens; null: no input")
    main_model = serializers.CharField(allow_null=True)
    sessions = serializers.IntegerField(allow_null=True)
    sessions_from = serializers.ChoiceField(choices=[SESSIONS_FROM_SESSION_DAYS, SESSIONS_FROM_ACTIVITY],
                                            allow_null=True)


class DeveloperSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    email = serializers.EmailField()
    team = serializers.CharField(source="team.name", allow_null=True, default=None)


class DayCostSerializer(serializers.Serializer):
    day = serializers.DateField()
    cost = MoneyField()

    def get_fields(self):
        return super().get_fields() | {"class": class_field()}


class CacheDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    hit_rate = FractionField(allow_null=True)
    cache_read = serializers.IntegerField()
    all_input = serializers.IntegerField()


class ModelShareSerializer(serializers.Serializer):
    model = serializers.CharField()
    cost = MoneyField()
    share = FractionField(allow_null=True, help_text="Of the priced spend")
    requests = serializers.IntegerField()
    unpriced_requests = serializers.IntegerField()
    tokens = serializers.IntegerField(help_text="Every token of every class")


class UnpricedModelSerializer(serializers.Serializer):
    model = serializers.CharField()
    requests = serializers.IntegerField(help_text="Unpriced requests (left out of every cost)")


class ActivitySerializer(serializers.Serializer):
    days = serializers.IntegerField(help_text="Days with reported activity")

    def get_fields(self):
        return super().get_fields() | {name: serializers.IntegerField(allow_null=True) for name in ACTIVITY_FIELDS}


class DeveloperProjectSerializer(serializers.Serializer):
    project = serializers.CharField(source="name", help_text="As shown (an admin's name, else the repository)")
    spend = MoneyField()
    share = FractionField(allow_null=True, help_text="Of their spend in range")
    requests = serializers.IntegerField()
    unpriced_requests = serializers.IntegerField()
    sessions = serializers.IntegerField(help_text="Sessions with requests in it (every model)")
    main_model = serializers.CharField(allow_null=True)


class DeveloperDetailSerializer(serializers.Serializer):
    """One developer's page: their summary row, daily cost, cache hit rate by day, model mix, activity."""

    developer = DeveloperSerializer()
    since = serializers.DateField()
    until = serializers.DateField()
    model = serializers.CharField(help_text='The model filter; "" for every model')
    summary = DeveloperRowSerializer(allow_null=True, help_text="null: no usage in range")
    days = DayCostSerializer(many=True)
    cache_by_day = CacheDaySerializer(many=True)
    model_mix = ModelShareSerializer(many=True)
    activity = ActivitySerializer(allow_null=True, help_text="null: no source reported activity in range")
    unpriced_models = UnpricedModelSerializer(many=True)
    projects = DeveloperProjectSerializer(many=True, help_text="Their spend by project, most first (the `project` "
                                          "filter narrows this list only)")


class SessionSerializer(serializers.Serializer):
    """A session's part inside the date range."""

    session_id = serializers.CharField()
    first_at = serializers.DateTimeField()
    last_at = serializers.DateTimeField()
    minutes = serializers.IntegerField(help_text="First to last request, rounded")
    requests = serializers.IntegerField()
    unpriced_requests = serializers.IntegerField()
    cost = MoneyField()
    tokens = serializers.IntegerField()
    url = serializers.SerializerMethodField(help_text="The session's page on the dashboard (its whole timeline)")

    def get_url(self, row) -> str:
        path = reverse("dashboard:session", args=[row["session_id"]])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path
