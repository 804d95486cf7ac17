"""Monthly reports (reports.selectors.monthly_report) and their kept files."""
from django.urls import reverse
from rest_framework import serializers

from costdash.reports.formats import WRITERS
from costdash.reports.models import GeneratedReport
from costdash.reports.selectors import COUNT_FIELDS, OPEN, RECOMPUTING

from ..fields import FractionField, MoneyField
from .spend import DeveloperRowSerializer


class CountsMixin:
    """Adds reports.selectors.COUNT_FIELDS: requests (priced), unpriced_requests and the token sums."""

    def get_fields(self):
        return super().get_fields() | {name: serializers.IntegerField() for name in COUNT_FIELDS}


class GroupFiguresSerializer(CountsMixin, serializers.Serializer):
    developers = serializers.IntegerField()
    spend = MoneyField()
    share = FractionField(allow_null=True, help_text="Of the month's spend")
    active_days = serializers.IntegerField()
    average_per_active_day = MoneyField(allow_null=True)
    p90 = MoneyField(allow_null=True)
    days_over_ceiling = serializers.IntegerField()


class ReportDeveloperSerializer(CountsMixin, DeveloperRowSerializer):
    email = serializers.EmailField()
    cost_center = serializers.CharField()


class ReportTeamSerializer(GroupFiguresSerializer):
    team = serializers.CharField()
    cost_center = serializers.CharField()


class ReportCostCenterSerializer(GroupFiguresSerializer):
    cost_center = serializers.CharField()
    teams = serializers.CharField(help_text="Its teams' names, comma-separated")


class ReportModelSerializer(CountsMixin, serializers.Serializer):
    model = serializers.CharField()
    spend = MoneyField(allow_null=True, help_text="null when none of its requests had a price")
    share = FractionField(allow_null=True)
    total_tokens = serializers.IntegerField()
    cache_hit_rate = FractionField(allow_null=True)


class ReportSourceSerializer(serializers.Serializer):
    source = serializers.CharField()
    label = serializers.CharField()
    spend = MoneyField()
    requests = serializers.IntegerField()
    developer_days = serializers.IntegerField()


class ReportTotalsSerializer(CountsMixin, serializers.Serializer):
    spend = MoneyField()
    developers = serializers.IntegerField(help_text="With an active day")
    active_days = serializers.IntegerField(help_text="Active developer-days")
    average_per_active_day = MoneyField(allow_null=True)
    p90 = MoneyField(allow_null=True, help_text="The team's P90 of active developer-days")
    days_over_ceiling = serializers.IntegerField()
    cache_hit_rate = FractionField(allow_null=True)


class DayModelCostSerializer(serializers.Serializer):
    day = serializers.DateField()
    model = serializers.CharField()
    cost = MoneyField()


class ReconciliationFiguresSerializer(serializers.Serializer):
    billed = MoneyField(allow_null=True, help_text="What Anthropic's cost report billed")
    priced = MoneyField(allow_null=True, help_text="The usage report priced by our rate table")
    difference = MoneyField(allow_null=True, help_text="billed - priced; null when unpriced usage makes it unknown")
    unpriced_rows = serializers.IntegerField()


class ReconciliationRowSerializer(ReconciliationFiguresSerializer):
    workspace = serializers.CharField(help_text='"" is the default workspace')
    model = serializers.CharField()


class ReconciliationWorkspaceSerializer(ReconciliationFiguresSerializer):
    workspace = serializers.CharField()


class ReconciliationSerializer(serializers.Serializer):
    since = serializers.DateField(help_text="UTC days, as Anthropic reports them")
    until = serializers.DateField()
    available = serializers.BooleanField(help_text="A cost report for the month was imported")
    billed_imported = serializers.BooleanField()
    usage_imported = serializers.BooleanField()
    rows = ReconciliationRowSerializer(many=True)
    workspaces = ReconciliationWorkspaceSerializer(many=True)
    totals = ReconciliationFiguresSerializer()


class CacheSplitPartSerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text="Developer x day x model rows so priced")
    developer_days = serializers.IntegerField()
    cost = MoneyField()
    share = FractionField(allow_null=True, help_text="Of the month's spend")


class CacheSplitSourceSerializer(serializers.Serializer):
    source = serializers.CharField()
    label = serializers.CharField()
    recovered = CacheSplitPartSerializer()
    assumed = CacheSplitPartSerializer()
    reasons = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="[reason, rows] of the assumed splits, the most frequent first",
    )


class CacheSplitsSerializer(serializers.Serializer):
    recovered = CacheSplitPartSerializer(help_text="Cache-write splits recovered from a source's own cost")
    assumed = CacheSplitPartSerializer(help_text="Splits no reported cost explained: counted by the source's rule")
    by_source = CacheSplitSourceSerializer(many=True)


class MonthlyReportSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="The month's first org-local day")
    until = serializers.DateField(help_text="Its last day")
    today = serializers.DateField(help_text="The org's today when the report was read")
    time_zone = serializers.CharField()
    average = MoneyField(help_text="The org's average figure per active developer-day")
    ceiling = MoneyField(help_text="The org's daily ceiling")
    provisional = serializers.BooleanField(help_text="Its figures may still change")
    provisional_reasons = serializers.ListField(child=serializers.ChoiceField(choices=[OPEN, RECOMPUTING]))
    totals = ReportTotalsSerializer()
    developers = ReportDeveloperSerializer(many=True)
    teams = ReportTeamSerializer(many=True)
    cost_centers = ReportCostCenterSerializer(many=True)
    models = ReportModelSerializer(many=True)
    sources = ReportSourceSerializer(many=True)
    by_day_model = DayModelCostSerializer(many=True, help_text="Priced spend per day and model")
    reconciliation = ReconciliationSerializer()
    cache_splits = CacheSplitsSerializer(help_text="What of the month rests on recovered or assumed cache-write splits")


class ReportMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    provisional = serializers.BooleanField(help_text="Not over yet, or days waiting for a recompute")
    url = serializers.URLField(help_text="The month's report")


class GeneratedReportSerializer(serializers.ModelSerializer):
    month = serializers.DateField(format="%Y-%m")
    requested_by = serializers.CharField(source="requested_by.get_username", allow_null=True, default=None,
                                         help_text="null: the monthly schedule")
    filename = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="This file's status: poll it while pending or building")
    download_url = serializers.SerializerMethodField(help_text="null until the file is ready")

    class Meta:
        model = GeneratedReport
        fields = ["id", "month", "format", "sheet", "status", "provisional", "size", "error", "requested_by",
                  "created_at", "finished_at", "filename", "url", "download_url"]

    def get_url(self, report) -> str:
        return self.context["request"].build_absolute_uri(reverse("api:report_file", args=[report.pk]))

    def get_download_url(self, report) -> str | None:
        if report.status != GeneratedReport.Status.READY:
            return None
        return self.context["request"].build_absolute_uri(reverse("api:report_file_download", args=[report.pk]))


class ReportExportSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=[(f, name) for f, name in GeneratedReport.Format.choices if f in WRITERS])
    sheet = serializers.SlugField(required=False, allow_blank=True, default="", max_length=40,
                                  help_text="For a CSV: the breakdown (developers, teams, cost_centers, models, "
                                            "sources, reconciliation, daily)")
