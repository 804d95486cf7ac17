from django.contrib import admin

from .models import AdminApiConnection, AdminApiCursor


@admin.register(AdminApiConnection)
class AdminApiConnectionAdmin(admin.ModelAdmin):
    """Read-only here: connections (and their keys) are managed on the Connectors page."""

    list_display = ("name", "base_url", "enabled", "key_hint", "last_run_at", "last_success_at", "running_since")
    exclude = ("key_ciphertext",)
    readonly_fields = [f.name for f in AdminApiConnection._meta.fields if f.name != "key_ciphertext"]

    def has_add_permission(self, request):
        return False


@admin.register(AdminApiCursor)
class AdminApiCursorAdmin(admin.ModelAdmin):
    list_display = ("connection", "endpoint", "fetched_through", "page_number", "updated_at")
    readonly_fields = [f.name for f in AdminApiCursor._meta.fields]

    def has_add_permission(self, request):
        return False
