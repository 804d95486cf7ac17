"""Rate-limit planning in the API (admins and billing; admins change the org's limits).

GET  /api/v1/rate-limits/?since=&until=   the Rate limits page's figures (ratelimits.selectors.rate_plan)
GET  /api/v1/rate-limits/limits/          the org's limits as entered
PUT  /api/v1/rate-limits/limits/          change them (admins)

Per-minute percentiles are decimal strings rounded half up to three places; shares (headroom) are
fractions rounded to six places (api.fields.FractionField); peaks are whole numbers.
"""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from costdash.accounts import roles
from costdash.accounts.models import OrgSettings
from costdash.api.fields import DecimalStringField, FractionField
from costdash.api.permissions import SeesAllSpend
from costdash.dashboard.filters import org_today

from .forms import RangeForm
from .models import OrgRateLimit
from .percentiles import METRICS
from .selectors import rate_plan

RANGE = [
    OpenApiParameter("since", OpenApiTypes.DATE, description="First org-local day (default: 13 days before until)"),
    OpenApiParameter("until", OpenApiTypes.DATE, description="Last org-local day (default: today); at most 92 days"),
]
COUNTING = {
    "rpm": "requests per minute",
    "itpm": "cache-aware input tokens per minute: uncached input + cache writes (what ITPM counts for most models)",
    "itpm_all": "all input tokens per minute: uncached input + cache writes + cache reads",
    "otpm": "output tokens per minute",
    "tpm": "itpm + otpm: set against the recommendations' TPM",
    "percentiles": "over a day's active minutes (at least one request), percentile_cont (linear interpolation)",
    "overall": "over the range: minutes and 429s summed, each figure the worst day's",
}


class ChangesLimits(BasePermission):
    message = "Only admins change the org's rate limits; billing reads them."

    def has_permission(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return roles.sees_all_spend(request.user)
        return roles.is_admin(request.user)


class MetricSerializer(serializers.Serializer):
    p50 = DecimalStringField()
    p95 = DecimalStringField()
    p99 = DecimalStringField()
    peak = serializers.IntegerField()
    peak_minute = serializers.DateTimeField()


class GroupDaySerializer(serializers.Serializer):
    day = serializers.DateField(allow_null=True)
    active_minutes = serializers.IntegerField(source="stats.minutes")
    rate_limited = serializers.IntegerField(source="stats.rate_limited", help_text="429s seen, any source")
    throttled_minutes = serializers.IntegerField(
        source="stats.throttled", allow_null=True,
        help_text="The org's minutes over any limit entered; null: none entered, or a team",
    )
    minutes_over = serializers.DictField(source="stats.over", child=serializers.IntegerField())
    metrics = serializers.SerializerMethodField()

    def get_metrics(self, obj) -> dict:
        return {m: MetricSerializer(obj["stats"].metrics[m]).data for m in METRICS if m in obj["stats"].metrics}


class RecommendationSerializer(serializers.Serializer):
    band = serializers.CharField(source="band.band")
    users = serializers.IntegerField()
    tpm_per_user_low = serializers.IntegerField(source="band.tpm_low")
    tpm_per_user_high = serializers.IntegerField(source="band.tpm_high")
    tpm_low = serializers.IntegerField()
    tpm_high = serializers.IntegerField()
    rpm_low = DecimalStringField()
    rpm_high = DecimalStringField()


class HeadroomSerializer(serializers.Serializer):
    figure = serializers.CharField()
    limit = DecimalStringField()
    peak = serializers.IntegerField()
    p99 = DecimalStringField()
    left = DecimalStringField()
    share_left = FractionField(allow_null=True, help_text="1 - peak / limit; negative when the peak was over")
    over = serializers.IntegerField()
    unit = serializers.CharField(help_text="minutes (a limit entered) or days (a recommendation)")


class ScopeSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    users = serializers.IntegerField(help_text="Developers with a request in the range")
    recommendation = RecommendationSerializer(allow_null=True)
    at_double = RecommendationSerializer(allow_null=True, help_text="The recommendation for twice the users")
    doubled_peak = serializers.DictField(child=serializers.IntegerField(), help_text="Measured peak minute x 2")
    headroom = HeadroomSerializer(many=True, help_text="Against the recommendation's low end")
    overall = serializers.SerializerMethodField()
    days = serializers.SerializerMethodField()

    def get_overall(self, obj) -> dict:
        return GroupDaySerializer({"day": None, "stats": obj.overall}).data

    def get_days(self, obj) -> list:
        return [GroupDaySerializer({"day": day, "stats": stats}).data for day, stats in obj.days]


class OrgRateLimitSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgRateLimit
        fields = ["itpm", "otpm", "rpm", "note", "updated_at"]
        read_only_fields = ["updated_at"]


class RatePlanSerializer(serializers.Serializer):
    since = serializers.DateField()
    until = serializers.DateField()
    time_zone = serializers.CharField()
    counting = serializers.DictField(child=serializers.CharField())
    limits = OrgRateLimitSerializer()
    limit_headroom = HeadroomSerializer(many=True)
    org = ScopeSerializer()
    teams = ScopeSerializer(many=True)
    rate_limited_by_source = serializers.ListField(child=serializers.DictField())


class RatePlanApi(GenericAPIView):
    permission_classes = [SeesAllSpend]
    serializer_class = RatePlanSerializer
    pagination_class = None

    @extend_schema(parameters=RANGE, summary="Requests and tokens per minute, by day, for the org and each team",
                   description="p50, p95, p99 and the peak minute of each day and of the range; the org against the "
                               "limits entered (minutes over them) and every scope against Anthropic's per-user "
                               "recommendations for its size, and for twice its size; 429s seen by source.")
    def get(self, request):
        form = RangeForm(request.query_params, today=org_today())
        if not form.is_valid():
            raise ValidationError(form.errors)
        tz = OrgSettings.get().time_zone
        plan = rate_plan(form.cleaned_data["since"], form.cleaned_data["until"], tz)
        data = {
            "since": plan.since, "until": plan.until, "time_zone": tz, "counting": COUNTING, "limits": plan.limits,
            "limit_headroom": plan.limit_headroom, "org": plan.org, "teams": plan.teams,
            "rate_limited_by_source": plan.rate_limited_by_source,
        }
        return Response(self.get_serializer(data).data)


class OrgRateLimitApi(GenericAPIView):
    permission_classes = [ChangesLimits]
    serializer_class = OrgRateLimitSerializer
    pagination_class = None

    @extend_schema(summary="The org's rate limits as entered (null: not entered)")
    def get(self, request):
        return Response(self.get_serializer(OrgRateLimit.get()).data)

    @extend_schema(summary="Change the org's rate limits (admins)")
    def put(self, request):
        body = self.get_serializer(OrgRateLimit.get(), data=request.data)
        body.is_valid(raise_exception=True)
        body.save(updated_by=request.user)
        return Response(body.data)
