"""Plan advice in the API: the plan table, the team's advice, and one developer's month by month.

Same roles as the Plans page: any login reads the plan table; admins and billing get every developer
(and ``team`` narrows), a developer only their own advice (anyone else's: 404). A bad ``month``,
``months`` or ``team`` is a 400.
"""
from dataclasses import replace

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from costdash.accounts import roles
from costdash.accounts.models import Developer
from costdash.dashboard.filters import org_today

from .forms import AdviceWindowForm
from .prices import plan_table
from .selectors import LIMITS_NOT_MODELLED, plan_advice, window_months
from .serializers import AdviceSerializer, DeveloperAdviceResponseSerializer, PlanTableSerializer

WINDOW_PARAMETERS = [
    OpenApiParameter("month", str, description="The window's last month, YYYY-MM (default: last month)"),
    OpenApiParameter("months", int, description="How many months, 1-24 (default 6)"),
]


def _window(request) -> tuple[AdviceWindowForm, list]:
    today = org_today()
    form = AdviceWindowForm(request.query_params, today=today)
    if not form.is_valid():
        raise ValidationError(form.errors)
    return form, window_months(form.last_month(), form.month_count())


class PlanPriceListApi(GenericAPIView):
    serializer_class = PlanTableSerializer
    pagination_class = None

    @extend_schema(summary="The plan table", description="Every dated row, by plan then date, with its source, "
                   "as-of date and confidence. monthly_price null: no published price (left out of the advice).")
    def get(self, request):
        return Response(self.get_serializer({"limits_not_modelled": LIMITS_NOT_MODELLED,
                                             "plans": plan_table()}).data)


class PlanAdviceApi(GenericAPIView):
    serializer_class = AdviceSerializer
    pagination_class = None

    @extend_schema(summary="Plan advice for the team", parameters=WINDOW_PARAMETERS + [
        OpenApiParameter("team", int, description="Only this team's developers (admins and billing)")],
        description="What each developer's API spend would cost on each plan, the breakeven (a plan's fee) and the "
                    "cheapest mix. A developer gets only their own advice. Usage and rate limits are not modelled.")
    def get(self, request):
        form, months = _window(request)
        developers = roles.developers_visible_to(request.user)
        sees_all = roles.sees_all_spend(request.user)
        if sees_all and form.team_id():
            developers = developers.filter(team_id=form.team_id())
        advice = plan_advice(developers, months, through=org_today())
        if not sees_all:
            advice = replace(advice, teams=[])
        return Response(self.get_serializer(advice).data)


class PlanAdviceDeveloperApi(GenericAPIView):
    serializer_class = DeveloperAdviceResponseSerializer
    pagination_class = None

    @extend_schema(summary="One developer's plan advice, month by month", parameters=WINDOW_PARAMETERS,
                   description="Each month: API spend, each plan's fee, saving, ratio and the day spend passed the "
                               "fee. A developer may read only their own (anyone else's: 404).")
    def get(self, request, pk: int):
        developer = get_object_or_404(roles.developers_visible_to(request.user), pk=pk)
        _, months = _window(request)
        advice = plan_advice(Developer.objects.filter(pk=developer.pk), months, through=org_today(), with_days=True)
        mine = advice.developers[0] if advice.developers else None
        return Response(self.get_serializer({
            "limits_note": advice.limits_note, "months": advice.months,
            "partial_through": advice.partial_through, "advice": mine,
        }).data)
