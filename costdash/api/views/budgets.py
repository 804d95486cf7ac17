"""Budgets: everyone reads what they may see (admins and billing every budget; a developer their own
and the default, with their own standing only); only admins create, change or delete."""
from collections import defaultdict

from django.db import IntegrityError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from costdash.accounts import roles
from costdash.accounts.models import Developer
from costdash.budgets.selectors import budgets_of_developer, budgets_status, budgets_visible_to, last_pushes
from costdash.budgets.services import budget_delete, budget_save_api

from ..serializers.budgets import EXISTS, BudgetSerializer, BudgetStandingSerializer


def _require_admin(request) -> None:
    if not roles.is_admin(request.user):
        raise PermissionDenied("Only admins create, change or delete budgets.")


def _context(request, budgets) -> dict:
    """Each budget's standing in its current period (for a developer, their own only) and, for admins
    and billing, LiteLLM's last answer."""
    sees_all = roles.sees_all_spend(request.user)
    own = None if sees_all else set(Developer.objects.filter(user=request.user).values_list("pk", flat=True))
    standings = defaultdict(list)
    for standing in budgets_status(budgets=budgets, developer_ids=own):
        standings[standing.budget.pk].append(standing)
    return {"standings": standings, "pushes": last_pushes(b.pk for b in budgets) if sees_all else {}}


class BudgetListApi(GenericAPIView):
    serializer_class = BudgetSerializer

    @extend_schema(summary="Budgets, with where each stands in its current period", operation_id="budgets_list",
                   responses=BudgetSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(budgets_visible_to(request.user).order_by("scope", "period", "pk"))
        return self.get_paginated_response(BudgetSerializer(page, many=True, context=_context(request, page)).data)

    @extend_schema(summary="Create a budget (admins)", operation_id="budgets_create", responses={
        201: BudgetSerializer,
        400: OpenApiResponse(description="Invalid, or there is already a budget for this subject and period")})
    def post(self, request):
        _require_admin(request)
        body = BudgetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            budget = budget_save_api(body, request.user)
        except IntegrityError:
            return Response({"non_field_errors": [EXISTS]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(BudgetSerializer(budget, context=_context(request, [budget])).data,
                        status=status.HTTP_201_CREATED)


class BudgetDetailApi(GenericAPIView):
    serializer_class = BudgetSerializer
    pagination_class = None

    @extend_schema(summary="One budget", description="404 when you may not see it.", operation_id="budgets_retrieve")
    def get(self, request, pk: int):
        budget = get_object_or_404(budgets_visible_to(request.user), pk=pk)
        return Response(BudgetSerializer(budget, context=_context(request, [budget])).data)

    @extend_schema(summary="Change a budget (admins)")
    def patch(self, request, pk: int):
        _require_admin(request)
        budget = get_object_or_404(budgets_visible_to(request.user), pk=pk)
        body = BudgetSerializer(budget, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        try:
            budget = budget_save_api(body, request.user)
        except IntegrityError:
            return Response({"non_field_errors": [EXISTS]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(BudgetSerializer(budget, context=_context(request, [budget])).data)

    @extend_schema(summary="Delete a budget (admins); LiteLLM's copy is taken off first", responses={204: None})
    def delete(self, request, pk: int):
        _require_admin(request)
        budget_delete(get_object_or_404(budgets_visible_to(request.user), pk=pk), request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyBudgetsApi(GenericAPIView):
    serializer_class = BudgetStandingSerializer
    pagination_class = None

    @extend_schema(summary="Your own budgets and where you stand", operation_id="budgets_mine",
                   description="The budgets that apply to the developer linked to your login (their own, and the "
                               "default for a period they have none of): an empty list when none does.")
    def get(self, request):
        developer = Developer.objects.filter(user=request.user).first()
        standings = budgets_of_developer(developer) if developer else []
        return Response([
            {"budget": {"id": s.budget.pk, "scope": s.budget.scope, "period": s.budget.period,
                        "amount": BudgetSerializer().fields["amount"].to_representation(s.budget.amount)}}
            | BudgetStandingSerializer(s).data for s in standings
        ])

