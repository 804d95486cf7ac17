"""Alerts: the list (a developer sees only alerts about themself; admins and billing all), one alert
with the channels it goes to, and acknowledging it (anyone who sees it may, as on its page); the
rules with their channels (admins and billing read; admins change them on the pages)."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response

from costdash.alerts.models import AlertRule
from costdash.alerts.selectors import alerts_visible_to
from costdash.alerts.services import event_acknowledge

from ..filters import ALERT_PARAMETERS, api_alert_filters
from ..permissions import SeesAllSpend
from ..serializers.alerts import AcknowledgeSerializer, AlertRuleSerializer, AlertSerializer


class AlertListApi(ListAPIView):
    serializer_class = AlertSerializer

    @extend_schema(parameters=ALERT_PARAMETERS, summary="Alerts, newest first")
    def get(self, request):
        events = api_alert_filters(request).apply(alerts_visible_to(request.user)).prefetch_related("rule__channels")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AlertDetailApi(GenericAPIView):
    serializer_class = AlertSerializer
    pagination_class = None

    @extend_schema(summary="One alert", description="404 when you may not see it.")
    def get(self, request, pk: int):
        return Response(self.get_serializer(get_object_or_404(alerts_visible_to(request.user), pk=pk)).data)


class AlertAcknowledgeApi(GenericAPIView):
    serializer_class = AcknowledgeSerializer
    pagination_class = None

    @extend_schema(
        summary="Acknowledge an alert, with a note", request=AcknowledgeSerializer,
        responses={200: AlertSerializer, 404: OpenApiResponse(description="No such alert that you may see"),
                   409: OpenApiResponse(AlertSerializer, description="Already acknowledged (the first one stands)")},
    )
    def post(self, request, pk: int):
        event = get_object_or_404(alerts_visible_to(request.user), pk=pk)
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = event_acknowledge(event.pk, request.user, body.validated_data["note"])
        event.refresh_from_db()
        return Response(AlertSerializer(event).data, status=status.HTTP_200_OK if done else status.HTTP_409_CONFLICT)


class AlertRuleListApi(ListAPIView):
    serializer_class = AlertRuleSerializer
    permission_classes = [SeesAllSpend]

    @extend_schema(summary="Alert rules and the channels each goes to",
                   description="Admins and billing. A rule that chose no channel goes to every channel "
                               "(`every_channel`); a team's channel still takes only that team's alerts.")
    def get(self, request):
        rules = AlertRule.objects.select_related("team", "developer").prefetch_related("channels__team")
        page = self.paginate_queryset(rules.order_by("kind", "pk"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
