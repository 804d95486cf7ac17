"""Read-only admin views: files are made on the Reports page and by the schedule, which record who and when."""
from django.contrib import admin

from costdash.lib.admin import ReadOnlyAdmin

from .models import GeneratedReport, MonthClose, MonthCloseEvent, MonthlyRun, ReportDownload


@admin.register(GeneratedReport)
class GeneratedReportAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "status", "provisional", "size", "requested_by", "run", "created_at")
    list_filter = ("format", "status")


@admin.register(ReportDownload)
class ReportDownloadAdmin(ReadOnlyAdmin):
    list_display = ("report", "user", "at")


@admin.register(MonthlyRun)
class MonthlyRunAdmin(ReadOnlyAdmin):
    list_display = ("month", "status", "sent_at", "attempts", "error")


@admin.register(MonthClose)
class MonthCloseAdmin(ReadOnlyAdmin):
    """Closes are made and ended on the Reports page or the API (reports.closing), which log them."""

    list_display = ("month", "closed_by", "closed_at", "reopened_by", "reopened_at", "lines")


@admin.register(MonthCloseEvent)
class MonthCloseEventAdmin(ReadOnlyAdmin):
    list_display = ("month", "action", "user", "at", "note")
    list_filter = ("action",)
