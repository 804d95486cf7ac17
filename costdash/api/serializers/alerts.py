"""Alerts as the alerts page lists them, and acknowledging one."""
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from costdash.alerts.kinds.base import COUNT, PERCENT, USD
from costdash.alerts.messages import absolute
from costdash.alerts.models import AlertEvent

from ..fields import DecimalStringField


class AlertRuleRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")
    kind = serializers.CharField()


class DeveloperRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class AlertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rule = AlertRuleRefSerializer()
    developer = DeveloperRefSerializer(allow_null=True, help_text="null: the alert is about no one developer")
    subject_key = serializers.CharField(help_text='What crossed the line: "developer:12", "team:3", "limit:5", …')
    day = serializers.DateField(help_text="The org's day (a month's first day for the monthly kinds)")
    figure = DecimalStringField(allow_null=True, help_text="As measured when raised, in `unit`")
    threshold = DecimalStringField(allow_null=True)
    unit = serializers.SerializerMethodField()
    summary = serializers.CharField()
    link = serializers.SerializerMethodField(help_text="The page that explains it")
    url = serializers.SerializerMethodField(help_text="The alert's own page")
    state = serializers.ChoiceField(choices=AlertEvent.State.choices)
    ack_note = serializers.CharField()
    ack_by = serializers.CharField(source="ack_by.get_username", allow_null=True, default=None)
    ack_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ChoiceField(choices=[USD, PERCENT, COUNT], allow_null=True))
    def get_unit(self, event) -> str | None:
        return event.rule.kind_def.figure_unit

    def get_link(self, event) -> str:
        return absolute(event.link)

    def get_url(self, event) -> str:
        return absolute(reverse("alerts:detail", args=[event.pk]))


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="",
                                 help_text="What was done or why it is fine")

