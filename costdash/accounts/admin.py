from django.contrib import admin, messages

from .models import Developer, Identity, OrgSettings, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "cost_center")
    search_fields = ("name", "cost_center")


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0
    fields = ("source", "external_id", "first_seen")
    readonly_fields = ("first_seen",)


@admin.register(Developer)
class DeveloperAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "team", "user")
    list_filter = ("team",)
    search_fields = ("email", "name")
    autocomplete_fields = ("user",)
    inlines = [IdentityInline]


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ("source", "external_id", "developer", "first_seen")
    list_filter = ("source",)
    search_fields = ("external_id", "developer__email")


@admin.register(OrgSettings)
class OrgSettingsAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "average_daily_cost", "daily_ceiling")

    def has_add_permission(self, request):
        return not OrgSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "time_zone" in form.changed_data:
            from .org_settings import org_time_zone_changed

            marked = org_time_zone_changed()  # every day's boundaries moved: rebuild all rollups in the new zone
            messages.info(request, f"Time zone changed: {marked} developer-days are being recomputed.")
