"""Alerts as the alerts page lists them (with where each goes), acknowledging one, and the rules
with the channels each goes to (alerts.routing)."""
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from costdash.alerts.kinds.base import COUNT, PERCENT, USD
from costdash.alerts.messages import absolute
from costdash.alerts.models import AlertEvent, AlertRule, Channel
from costdash.alerts.selectors import event_routing

from ..fields import DecimalStringField


class AlertRuleRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")
    kind = serializers.CharField()


class DeveloperRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class ChannelRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Channel.Kind.choices)
    team = serializers.CharField(source="team.name", allow_null=True, default=None,
                                 help_text="Only this team's alerts; null: every team's")
    digest = serializers.ChoiceField(choices=Channel.Digest.choices, allow_blank=True,
                                     help_text='"daily" or "weekly": a digest instead of each alert; "": each alert')
    quiet_start = serializers.TimeField(allow_null=True, help_text="Quiet hours, in the org's time zone")
    quiet_end = serializers.TimeField(allow_null=True)


class AlertRouteSerializer(serializers.Serializer):
    channel = ChannelRefSerializer()
    state = serializers.ChoiceField(
        choices=["sent", "failed", "unknown", "sending", "held", "digest", "queued"],
        help_text="held: waiting for the channel's quiet hours to end; digest: goes in its next digest")
    text = serializers.CharField()


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
    channels = serializers.SerializerMethodField(help_text="Where it goes (the rule's choice, team scope) and how far")

    @extend_schema_field(AlertRouteSerializer(many=True))
    def get_channels(self, event) -> list[dict]:
        return AlertRouteSerializer(event_routing(event), many=True).data

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



class AlertRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")
    kind = serializers.CharField()
    scope = serializers.ChoiceField(choices=AlertRule.Scope.choices)
    team = serializers.CharField(source="team.name", allow_null=True, default=None)
    developer = DeveloperRefSerializer(allow_null=True)
    threshold = DecimalStringField(allow_null=True)
    window_days = serializers.IntegerField()
    enabled = serializers.BooleanField()
    urgent = serializers.BooleanField(source="is_urgent", help_text="Sent during a channel's quiet hours too")
    urgent_is_default = serializers.SerializerMethodField(help_text="true: the kind's default, not the rule's choice")
    every_channel = serializers.SerializerMethodField(help_text="true: the rule chose no channel, so it goes to all")
    channels = serializers.SerializerMethodField(help_text="The channels it chose (empty: every channel)")

    def get_urgent_is_default(self, rule) -> bool:
        return rule.urgent is None

    def get_every_channel(self, rule) -> bool:
        return not rule.channels.all()

    @extend_schema_field(ChannelRefSerializer(many=True))
    def get_channels(self, rule) -> list[dict]:
        return ChannelRefSerializer(rule.channels.all(), many=True).data
