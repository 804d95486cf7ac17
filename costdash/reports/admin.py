from django.contrib import admin

from .models import GeneratedReport, MonthlyRun, ReportDownload


class ReadOnly(admin.ModelAdmin):
    """Read-only: files are made on the Reports page and by the schedule, which record who and when."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GeneratedReport)
class GeneratedReportAdmin(ReadOnly):
    list_display = ("__str__", "status", "provisional", "size", "requested_by", "run", "created_at")
    list_filter = ("format", "status")


@admin.register(ReportDownload)
class ReportDownloadAdmin(ReadOnly):
    list_display = ("report", "user", "at")


@admin.register(MonthlyRun)
class MonthlyRunAdmin(ReadOnly):
    list_display = ("month", "status", "sent_at", "attempts", "error")
