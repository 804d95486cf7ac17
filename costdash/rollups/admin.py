from django.contrib import admin

from .models import DailyCost, DirtyDay


@admin.register(DailyCost)
class DailyCostAdmin(admin.ModelAdmin):
    list_display = ("day", "developer", "model", "requests", "sessions", "unpriced_requests", "cost")
    list_filter = ("model",)
    search_fields = ("developer__email",)
    date_hierarchy = "day"
    readonly_fields = [f.name for f in DailyCost._meta.fields]
    list_select_related = ("developer",)

    def has_add_permission(self, request):
        return False


@admin.register(DirtyDay)
class DirtyDayAdmin(admin.ModelAdmin):
    list_display = ("day", "developer", "marked_at")
    readonly_fields = ("developer", "day", "marked_at")
