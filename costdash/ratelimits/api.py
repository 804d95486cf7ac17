"""Rate-limit planning in the API (admins and billing; admins change the org's limits).

GET  /api/v1/rate-limits/?since=&until=   the Rate limits page's figures (ratelimits.selectors.rate_plan)
GET  /api/v1/rate-limits/limits/          the org's limits as entered
PUT  /api/v1/rate-limits/limits/          change them (admins)

Per-minute percentiles are decimal strings rounded half up to three places; shares (headroom) are
fractions rounded to six places (api.fields.FractionField); peaks are whole numbers.
"""
from __future__ import annotations

from datetime import UTC
from decimal import ROUND_HALF_UP

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from costdash.accounts import roles
from costdash.accounts.models import OrgSettings
from costdash.api.fields import FRACTION_PLACES, DecimalStringField, FractionField
from costdash.api.permissions import SeesAllSpend
from costdash.dashboard.filters import org_today
from costdash.lib.money import decimal_str

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
    """The answer's shape, for the schema; RatePlanApi builds the same dicts directly (much faster)."""

    since = serializers.DateField()
    until = serializers.DateField()
    time_zone = serializers.CharField()
    counting = serializers.DictField(child=serializers.CharField())
    limits = OrgRateLimitSerializer()
    limit_headroom = HeadroomSerializer(many=True)
    org = ScopeSerializer()
    teams = ScopeSerializer(many=True)
    rate_limited_by_source = serializers.ListField(child=serializers.DictField())


def _iso(minute) -> str:
    return minute.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fraction(value) -> str | None:
    return None if value is None else decimal_str(value.quantize(FRACTION_PLACES, rounding=ROUND_HALF_UP))


def _group_day(day, stats) -> dict:
    """GroupDaySerializer's shape, built directly: a quarter of nine scopes is thousands of these."""
    return {
        "day": day and day.isoformat(), "active_minutes": stats.minutes, "rate_limited": stats.rate_limited,
        "throttled_minutes": stats.throttled, "minutes_over": stats.over,
        "metrics": {
            m: {"p50": decimal_str(s.p50), "p95": decimal_str(s.p95), "p99": decimal_str(s.p99), "peak": s.peak,
                "peak_minute": _iso(s.peak_minute)}
            for m in METRICS if (s := stats.metrics.get(m)) is not None
        },
    }


def _recommendation(rec) -> dict | None:
    if rec is None:
        return None
    return {"band": rec.band.band, "users": rec.users, "tpm_per_user_low": rec.band.tpm_low,
            "tpm_per_user_high": rec.band.tpm_high, "tpm_low": rec.tpm_low, "tpm_high": rec.tpm_high,
            "rpm_low": decimal_str(rec.rpm_low), "rpm_high": decimal_str(rec.rpm_high)}


def _headroom(h) -> dict:
    return {"figure": h.figure, "limit": decimal_str(h.limit), "peak": h.peak, "p99": decimal_str(h.p99),
            "left": decimal_str(h.left), "share_left": _fraction(h.share_left), "over": h.over, "unit": h.unit}


def _scope(scope) -> dict:
    return {
        "key": scope.key, "name": scope.name, "users": scope.users,
        "recommendation": _recommendation(scope.recommendation), "at_double": _recommendation(scope.at_double),
        "doubled_peak": scope.doubled_peak, "headroom": [_headroom(h) for h in scope.headroom],
        "overall": _group_day(None, scope.overall), "days": [_group_day(day, s) for day, s in scope.days],
    }


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
        return Response({
            "since": plan.since.isoformat(), "until": plan.until.isoformat(), "time_zone": tz, "counting": COUNTING,
            "limits": OrgRateLimitSerializer(plan.limits).data,
            "limit_headroom": [_headroom(h) for h in plan.limit_headroom], "org": _scope(plan.org),
            "teams": [_scope(t) for t in plan.teams], "rate_limited_by_source": plan.rate_limited_by_source,
        })


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
