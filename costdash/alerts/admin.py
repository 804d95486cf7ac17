"""Read-only admin views of alerts: rules, channels and acknowledgements are managed on the Alerts
pages, which check each kind's scope and threshold and keep channel settings encrypted and unseen."""
from django.contrib import admin

from costdash.lib.admin import ReadOnlyAdmin

from .models import AlertEvent, AlertRule, Channel, Notification


@admin.register(AlertRule)
class AlertRuleAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "kind", "threshold", "scope", "urgent", "enabled", "owner", "updated_at")
    list_filter = ("kind", "enabled")


@admin.register(AlertEvent)
class AlertEventAdmin(ReadOnlyAdmin):
    list_display = ("pk", "rule", "subject_key", "day", "figure", "threshold", "state", "created_at",
                    "delivery_done_at")
    list_filter = ("state", "rule")


@admin.register(Channel)
class ChannelAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "hint", "team", "digest", "quiet_start", "quiet_end", "enabled", "last_success_at",
                    "last_error_at")
    exclude = ("config_ciphertext",)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("pk", "event", "digest_period", "digest_start", "channel", "attempt", "status", "response_code",
                    "created_at")
    list_filter = ("status", "channel")
