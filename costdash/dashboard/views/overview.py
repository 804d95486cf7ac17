"""The Overview, the home page: the month so far and its projection, the team's developer-day
figures against the reference figures, daily spend by model, the cost distribution, top spenders."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from costdash.accounts.models import OrgSettings
from costdash.alerts.models import AlertEvent
from costdash.rollups import selectors

from ..charts.overview import cost_distribution_figure, daily_spend_by_model_figure, top_spenders_figure
from ..filters import scope_for
from .when import when_context


def p90_label(sees_all: bool) -> str:
    return "Team P90" if sees_all else "Your P90"


def open_alert_count(filters) -> int:
    """Every open alert the viewer may see (as alerts.selectors.alerts_visible_to), whatever the
    filters: an alert is a call to act. One query."""
    events = AlertEvent.objects.filter(state=AlertEvent.State.OPEN)
    return events.count() if filters.sees_all else events.filter(developer__in=filters.visible).count()


@login_required
def overview(request):
    """Filtered by the shared filter bar (the default range of every page), limited to what the user may see."""
    scope, filters = scope_for(request)
    org = OrgSettings.get()
    data = selectors.overview(scope, filters.today, average=org.average_daily_cost, ceiling=org.daily_ceiling)
    label = filters.p90_label(request.user)
    month = data["month"]
    has_data = data["summary"]["active_days"] > 0
    charts = {}
    if has_data:
        charts = {
            "by_model": daily_spend_by_model_figure(data["by_model"]) if data["by_model"] else None,
            "distribution": cost_distribution_figure(
                data["distribution"], org.average_daily_cost, org.daily_ceiling, data["p90"], p90_label=label
            ),
            "top": top_spenders_figure(data["top_spenders"]) if data["top_spenders"] else None,
        }
    return render(
        request,
        "dashboard/overview.html",
        {
            "scope": scope,
            "filters": filters,
            "project_applies": ("the figures and charts are that project's (active days: days with usage in it); "
                                "the heatmap, failed calls and open alerts show every project"),
            "org": org,
            "data": data,
            "month": month,
            "range_is_month_to_date": (scope.since, scope.until) == (month.month_start, month.today),
            "charts": charts,
            "has_data": has_data,
            "sees_all": filters.sees_all,
            "p90_label": label,
            "linked": filters.sees_all or filters.visible.exists(),
            "detail_query": scope.querystring(team="", developer=""),
            "when": when_context(scope, org.time_zone, data["summary"]["spend"]) if has_data else None,
            "open_alerts": open_alert_count(filters),
        },
    )
