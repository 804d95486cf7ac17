"""Monthly reports (reports.selectors.monthly_report) and their kept files; closing a month."""
from datetime import datetime

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from costdash.reports.formats import WRITERS
from costdash.reports.models import GeneratedReport, MonthClose, MonthCloseEvent
from costdash.reports.selectors import COUNT_FIELDS, OPEN, RECOMPUTING
from costdash.reports.services import mark_out_of_date

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


class ChangeLineSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The developer's id, or the team, cost center or model")
    name = serializers.CharField()
    at_close = MoneyField(help_text="Its spend in the snapshot")
    now = MoneyField(help_text="Its spend from the current figures")
    change = MoneyField(help_text="now - at_close")


class ChangeBreakdownSerializer(serializers.Serializer):
    developers = ChangeLineSerializer(many=True)
    teams = ChangeLineSerializer(many=True)
    cost_centers = ChangeLineSerializer(many=True)
    models = ChangeLineSerializer(many=True)


class ChangesSinceCloseSerializer(serializers.Serializer):
    month = serializers.DateField()
    close_id = serializers.IntegerField()
    closed_by = serializers.CharField(allow_null=True, help_text="null: the user was deleted")
    closed_at = serializers.DateTimeField()
    note = serializers.CharField()
    at_close = MoneyField(help_text="The month's spend in the snapshot")
    now = MoneyField(help_text="Its spend from the current figures")
    amount = MoneyField(help_text="Changed since close: now - at_close")
    changed = serializers.BooleanField(help_text="Some spend moved (in total or between lines)")
    recomputing = serializers.BooleanField(help_text="The current figures still wait for a recompute")
    breakdown = ChangeBreakdownSerializer(help_text="Only the lines whose spend moved, largest change first")


class AdjustmentLineSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    change = MoneyField()


class AdjustmentBreakdownSerializer(serializers.Serializer):
    developers = AdjustmentLineSerializer(many=True)
    teams = AdjustmentLineSerializer(many=True)
    cost_centers = AdjustmentLineSerializer(many=True)
    models = AdjustmentLineSerializer(many=True)


class AdjustmentSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="The closed month adjusted")
    closed_at = serializers.DateTimeField()
    closed_by = serializers.CharField(allow_null=True)
    amount = MoneyField(help_text="Its change since close not yet carried by a closed month")
    breakdown = AdjustmentBreakdownSerializer()


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
    closed = serializers.SerializerMethodField(help_text="Closed: every figure here is the snapshot taken at close")
    closed_by = serializers.SerializerMethodField(help_text="null when open (or the user was deleted)")
    closed_at = serializers.SerializerMethodField()
    changes_since_close = serializers.SerializerMethodField(
        help_text="A closed month: its current figures against the snapshot (null when open)")
    adjustments = AdjustmentSerializer(many=True, help_text=(
        "Adjustments to closed months: the changes since close of the closed months just before this one, "
        "carried here (an open month's are current; a closed month's, as carried when it was closed)"))

    def get_closed(self, report) -> bool:
        return report.closed is not None

    def get_closed_by(self, report) -> str | None:
        return report.closed["closed_by"] if report.closed else None

    def get_closed_at(self, report) -> datetime | None:
        return serializers.DateTimeField().to_representation(report.closed["closed_at"]) if report.closed else None

    @extend_schema_field(ChangesSinceCloseSerializer(allow_null=True))
    def get_changes_since_close(self, report):
        changes = self.context.get("changes_since_close")
        return ChangesSinceCloseSerializer(changes).data if changes else None


class ReportMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    closed = serializers.BooleanField(help_text="Closed by billing: its report answers from the snapshot")
    provisional = serializers.BooleanField(help_text="Not closed; not over yet, or days waiting for a recompute")
    url = serializers.URLField(help_text="The month's report")


class GeneratedReportSerializer(serializers.ModelSerializer):
    month = serializers.DateField(format="%Y-%m")
    requested_by = serializers.CharField(source="requested_by.get_username", allow_null=True, default=None,
                                         help_text="null: the monthly schedule")
    filename = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="This file's status: poll it while pending or building")
    download_url = serializers.SerializerMethodField(help_text="null until the file is ready")
    out_of_date = serializers.SerializerMethodField(help_text=(
        "The month's figures (current for an open month, the snapshot for a closed one) are no longer those "
        "the file was built from; null when unknown (not built, or built before this was recorded)"))
    month_close = serializers.PrimaryKeyRelatedField(read_only=True, help_text="Made when the month was closed")

    class Meta:
        model = GeneratedReport
        fields = ["id", "month", "format", "sheet", "status", "provisional", "size", "error", "requested_by",
                  "created_at", "finished_at", "filename", "url", "download_url", "out_of_date", "month_close"]

    def get_out_of_date(self, report) -> bool | None:
        if not hasattr(report, "out_of_date"):
            mark_out_of_date([report])
        return report.out_of_date

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


class MonthCloseEventSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.get_username", allow_null=True, default=None)

    class Meta:
        model = MonthCloseEvent
        fields = ["action", "user", "at", "note"]


class MonthCloseSerializer(serializers.ModelSerializer):
    """A month's close: who, when, the rate table and source precedence of its snapshot, its files and
    the log; the snapshot's figures are the month's report (GET /api/v1/reports/<month>/)."""

    month = serializers.DateField(format="%Y-%m")
    closed = serializers.SerializerMethodField(help_text="false once reopened")
    closed_by = serializers.CharField(source="closed_by.get_username", allow_null=True, default=None)
    reopened_by = serializers.CharField(source="reopened_by.get_username", allow_null=True, default=None)
    rates = serializers.JSONField(help_text="The ModelPrice rows in force in the month, as at close")
    precedence = serializers.JSONField(help_text="Source precedence: per_request, aggregates, activity")
    lines = serializers.IntegerField(help_text="Daily lines kept in the snapshot")
    report_url = serializers.SerializerMethodField(help_text="The month's report: the snapshot while closed")
    files = GeneratedReportSerializer(many=True, read_only=True, help_text="The files made at close")
    events = serializers.SerializerMethodField()
    changes_since_close = serializers.SerializerMethodField()

    class Meta:
        model = MonthClose
        fields = ["id", "month", "closed", "closed_by", "closed_at", "note", "reopened_by", "reopened_at", "rates",
                  "precedence", "lines", "report_url", "files", "events", "changes_since_close"]

    def get_closed(self, close) -> bool:
        return close.reopened_at is None

    def get_report_url(self, close) -> str:
        return self.context["request"].build_absolute_uri(reverse("api:report_month", args=[f"{close.month:%Y-%m}"]))

    @extend_schema_field(MonthCloseEventSerializer(many=True))
    def get_events(self, close):
        events = MonthCloseEvent.objects.filter(month=close.month).select_related("user")
        return MonthCloseEventSerializer(events, many=True).data

    @extend_schema_field(ChangesSinceCloseSerializer(allow_null=True))
    def get_changes_since_close(self, close):
        changes = self.context.get("changes_since_close")
        return ChangesSinceCloseSerializer(changes).data if changes else None


class MonthCloseRequestSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000,
                                 help_text="Why: kept in the month's closing log")
