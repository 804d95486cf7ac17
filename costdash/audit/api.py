"""The audit trail in the API: GET /api/v1/audit/ (admins only), newest first, paged like every list.

Filters: ?actor=<username>&kind=<app_label.Model>&event=<event>&since=<date>&until=<date> (org-local days).
Each entry: who, when, the event, the object (its kind, id and name when changed) and its changes as
{field, before, after}; a secret's values are "(secret: changed)" or "", never the secret.
"""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission

from costdash.accounts import roles

from .events import EVENTS
from .selectors import AuditFilter, audit_entries, audit_kinds, event_name, kind_label, kind_name
from .tracked import LABELS

PARAMETERS = [
    OpenApiParameter("actor", OpenApiTypes.STR, description="The login (username) who made the change"),
    OpenApiParameter("kind", OpenApiTypes.STR, description='A model label, e.g. "limits.SpendLimit"'),
    OpenApiParameter("event", OpenApiTypes.STR, enum=EVENTS, description="The kind of change"),
    OpenApiParameter("since", OpenApiTypes.DATE, description="First org-local day"),
    OpenApiParameter("until", OpenApiTypes.DATE, description="Last org-local day"),
]


class IsAdmin(BasePermission):
    message = "Only admins read the audit trail."

    def has_permission(self, request, view) -> bool:
        return roles.is_admin(request.user)


class AuditQuerySerializer(serializers.Serializer):
    actor = serializers.CharField(required=False, allow_blank=True)
    kind = serializers.CharField(required=False, allow_blank=True)
    event = serializers.ChoiceField(choices=EVENTS, required=False, allow_blank=True)
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)

    def validate_kind(self, value: str) -> str:
        if value and value.lower() not in {label.lower() for label, _ in audit_kinds()}:
            raise serializers.ValidationError(f"{value!r} is not a kind the audit trail follows: one of "
                                              + ", ".join(label for label, _ in audit_kinds()))
        return value

    def validate(self, data):
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise serializers.ValidationError("since is after until")
        return data


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field, as the page names it")
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class AuditEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    timestamp = serializers.DateTimeField()
    actor = serializers.SerializerMethodField(help_text="The login's username; null if it was deleted since")
    actor_email = serializers.CharField(allow_null=True)
    event = serializers.SerializerMethodField()
    kind = serializers.SerializerMethodField(help_text="The model's label, e.g. limits.SpendLimit")
    kind_name = serializers.SerializerMethodField()
    object_id = serializers.CharField(source="object_pk")
    object = serializers.CharField(source="object_repr", help_text="The object's name when it was changed")
    changes = serializers.SerializerMethodField()

    def get_actor(self, entry) -> str | None:
        return entry.actor.get_username() if entry.actor is not None else None

    def get_event(self, entry) -> str:
        return event_name(entry)

    def get_kind(self, entry) -> str:
        return kind_label(entry)

    def get_kind_name(self, entry) -> str:
        return kind_name(entry)

    @extend_schema_field(ChangeSerializer(many=True))
    def get_changes(self, entry) -> list[dict]:
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        rows = []
        for field in sorted(changes):
            change = changes[field]
            before, after = (change if isinstance(change, (list, tuple)) and len(change) == 2 else (None, change))
            rows.append({"field": LABELS.get(field, field), "before": before, "after": after})
        return rows


class AuditListApi(ListAPIView):
    serializer_class = AuditEntrySerializer
    permission_classes = [IsAdmin]

    @extend_schema(parameters=PARAMETERS, summary="The audit trail, newest first",
                   description="Admins only. Every change a person made (pages, API, Django admin); the "
                               "system's own changes (imports, recomputes, alerts raised) are not entries.")
    def get(self, request):
        query = AuditQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        filters = AuditFilter(actor=data.get("actor", ""), kind=data.get("kind", ""), event=data.get("event", ""),
                              since=data.get("since"), until=data.get("until"))
        page = self.paginate_queryset(audit_entries(filters))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
