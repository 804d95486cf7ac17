from django.contrib import admin

from costdash.lib.admin import ReadOnlyAdmin

from .models import FailedCall, ImportBatch, ImportedFile, ReceivedBody, RequestConflict, UsageEvent


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ("id", "source", "status", "developer", "requests_new", "duplicates", "rejected", "created_at")
    list_filter = ("source", "status")
    search_fields = ("label", "developer__email")
    readonly_fields = [f.name for f in ImportBatch._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ImportedFile)
class ImportedFileAdmin(admin.ModelAdmin):
    list_display = ("name", "developer", "size", "batch", "created_at")
    search_fields = ("name", "developer__email")
    readonly_fields = [f.name for f in ImportedFile._meta.fields]


@admin.register(UsageEvent)
class UsageEventAdmin(admin.ModelAdmin):
    list_display = ("timestamp", "developer", "model", "input_tokens", "output_tokens", "cache_read_tokens", "cost")
    list_filter = ("source", "model")
    search_fields = ("dedupe_key", "request_id", "message_id", "session_id", "developer__email")
    date_hierarchy = "timestamp"
    readonly_fields = [f.name for f in UsageEvent._meta.fields]
    list_select_related = ("developer",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False


@admin.register(RequestConflict)
class RequestConflictAdmin(ReadOnlyAdmin):
    list_display = ("day", "owner", "claimant", "requests", "example_key", "batch", "token", "created_at")
    list_filter = ("day",)
    search_fields = ("example_key", "owner__email", "claimant__email")


@admin.register(FailedCall)
class FailedCallAdmin(ReadOnlyAdmin):
    """Failed calls a source logged (errors, never billed): view only."""

    list_display = ("timestamp", "source", "developer", "model", "error", "key")
    list_filter = ("source", "error")
    search_fields = ("key", "developer__email")
    date_hierarchy = "timestamp"
    list_select_related = ("developer",)
    show_full_result_count = False


@admin.register(ReceivedBody)
class ReceivedBodyAdmin(ReadOnlyAdmin):
    """Bodies the live receivers stored (ingest.received): their state, counts and rejected records, view only."""

    list_display = ("id", "kind", "token", "state", "received_at", "processed_at", "records", "rejected", "attempts")
    list_filter = ("kind", "state")
    search_fields = ("token__name", "token__prefix", "error")
    date_hierarchy = "received_at"
    exclude = ("data",)
    list_select_related = ("token",)
    show_full_result_count = False
