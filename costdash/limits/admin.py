from django.contrib import admin

from .models import SpendLimit


@admin.register(SpendLimit)
class SpendLimitAdmin(admin.ModelAdmin):
    """Read-only here: limits are managed on the Limits page, which records who changed them."""

    list_display = ("__str__", "amount", "warning_share", "updated_by", "updated_at")
    readonly_fields = [f.name for f in SpendLimit._meta.fields]

    def has_add_permission(self, request):
        return False
