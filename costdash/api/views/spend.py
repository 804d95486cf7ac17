"""Spend: per developer-day costs, the Developers table, one developer's page and sessions.

Figures are the pages' own selectors over the same Scope (api.filters), so they equal the pages'.
"""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response

from costdash.accounts import roles
from costdash.accounts.models import OrgSettings
from costdash.chargeback import projects
from costdash.dashboard.filters import table_sort
from costdash.rollups import selectors
from costdash.rollups.thresholds import classify_day

from ..filters import DETAIL_PARAMETERS, SCOPE_PARAMETERS, SORT_PARAMETERS, api_developer_scope, api_scope
from ..serializers.spend import (
    DeveloperDaySerializer,
    DeveloperDetailSerializer,
    DeveloperRowSerializer,
    SessionSerializer,
)


class DailyCostListApi(ListAPIView):
    serializer_class = DeveloperDaySerializer

    @extend_schema(parameters=SCOPE_PARAMETERS, summary="Cost per developer and day",
                   description="One row per developer-day with usage in range, by day then developer id, with "
                               "its class against the org's average ($13) and daily ceiling ($30) and its spend by "
                               "project. With `project`: the developer-days of that project, their figures its.")
    def get(self, request):
        org = OrgSettings.get()
        scope = api_scope(request)
        totals = projects.project_day_totals(scope) if scope.project else selectors.developer_day_totals(scope)
        page = self.paginate_queryset(totals)
        rows = selectors.developer_day_rows(page, average=org.average_daily_cost, ceiling=org.daily_ceiling)
        by_day = projects.projects_of_days(scope, [(row["developer_id"], row["day"]) for row in rows])
        rows = [row | {"projects": by_day.get((row["developer_id"], row["day"]), [])} for row in rows]
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


class DeveloperListApi(ListAPIView):
    serializer_class = DeveloperRowSerializer

    @extend_schema(parameters=SCOPE_PARAMETERS + SORT_PARAMETERS, summary="The Developers table",
                   description="One row per developer with usage in range, sorted as the Developers page sorts.")
    def get(self, request):
        column, descending = table_sort(request.query_params)
        table = selectors.developer_table(api_scope(request), ceiling=OrgSettings.get().daily_ceiling,
                                          sort=column, descending=descending, lazy=True)
        page = table["fill"](self.paginate_queryset(table["developers"]))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def visible_developer(request, pk: int):
    """The developer ``pk`` if the user may see them, else 404 (as if they did not exist), as the page does."""
    return get_object_or_404(roles.developers_visible_to(request.user).select_related("team"), pk=pk)


class DeveloperDetailApi(GenericAPIView):
    serializer_class = DeveloperDetailSerializer
    pagination_class = None

    @extend_schema(parameters=DETAIL_PARAMETERS, summary="One developer's page",
                   description="A developer may read only their own (anyone else's: 404); admins and billing any.")
    def get(self, request, pk: int):
        developer = visible_developer(request, pk)
        scope = api_developer_scope(request, developer)
        org = OrgSettings.get()
        detail = selectors.developer_detail(scope, ceiling=org.daily_ceiling)
        days = [row | {"class": classify_day(row["cost"], org.average_daily_cost, org.daily_ceiling)}
                for row in detail["days"]]
        return Response(self.get_serializer({
            **detail, "days": days, "developer": developer, "since": scope.since, "until": scope.until,
            "model": scope.model, "projects": projects.developer_projects(scope),
        }).data)


class DeveloperSessionListApi(ListAPIView):
    serializer_class = SessionSerializer

    @extend_schema(parameters=DETAIL_PARAMETERS, summary="One developer's sessions",
                   description="Latest first; a session reaching outside the range counts only its part inside.")
    def get(self, request, pk: int):
        scope = api_developer_scope(request, visible_developer(request, pk))
        page = self.paginate_queryset(selectors.developer_sessions(scope))
        rows = [row | {"minutes": selectors.session_minutes(row)} for row in page]
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

