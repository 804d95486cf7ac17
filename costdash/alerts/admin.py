from django.contrib import admin

from .models import AlertEvent, AlertRule, Channel, Notification


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "threshold", "scope", "enabled", "owner", "updated_at")
    list_filter = ("kind", "enabled")


@admin.register(AlertEvent)
class AlertEventAdmin(admin.ModelAdmin):
    """Read-only: events are raised by the rules and acknowledged on the Alerts page."""

    list_display = ("pk", "rule", "subject_key", "day", "figure", "threshold", "state", "created_at",
                    "delivery_done_at")
    list_filter = ("state", "rule")
    readonly_fields = [f.name for f in AlertEvent._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    """Read-only here (the settings are encrypted): channels are set up on the Alerts → Channels page."""

    list_display = ("name", "kind", "hint", "enabled", "last_success_at", "last_error_at")
    exclude = ("config_ciphertext",)
    readonly_fields = [f.name for f in Channel._meta.fields if f.name != "config_ciphertext"]

    def has_add_permission(self, request):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("pk", "event", "channel", "attempt", "status", "response_code", "created_at")
    list_filter = ("status", "channel")
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False
