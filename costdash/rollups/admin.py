from django.contrib import admin

from costdash.lib.admin import ReadOnlyAdmin

from .models import DailyCost, DirtyDay, SplitRecovery


@admin.register(DailyCost)
class DailyCostAdmin(ReadOnlyAdmin):
    list_display = ("day", "developer", "model", "requests", "sessions", "unpriced_requests", "cost", "cache_split")
    list_filter = ("model", "cache_split")
    search_fields = ("developer__email",)
    date_hierarchy = "day"
    list_select_related = ("developer",)


@admin.register(DirtyDay)
class DirtyDayAdmin(admin.ModelAdmin):
    list_display = ("day", "developer", "marked_at", "attempts", "retry_at", "error")
    readonly_fields = ("developer", "day", "marked_at", "error", "attempts", "failed_at", "retry_at")


@admin.register(SplitRecovery)
class SplitRecoveryAdmin(ReadOnlyAdmin):
    list_display = ("day", "developer", "model", "source", "method", "write_5m", "write_1h", "bound_tokens", "reason")
    list_filter = ("method", "source")
    search_fields = ("developer__email", "reason")
    date_hierarchy = "day"
    list_select_related = ("developer",)
