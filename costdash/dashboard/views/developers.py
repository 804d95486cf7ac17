"""The Developers table (sortable, filterable) and one page per developer."""
from dataclasses import replace

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from costdash.accounts import roles
from costdash.accounts.models import Developer, OrgSettings
from costdash.chargeback.projects import developer_projects
from costdash.rollups import selectors
from costdash.rollups.selectors import sessions as session_selectors
from costdash.rollups.selectors.developers import TEXT_COLUMNS
from costdash.rollups.selectors.errors import developer_errors
from costdash.rollups.selectors.splits import split_days

from ..charts.cache import hit_rate_per_day_figure
from ..charts.developers import daily_cost_figure
from ..charts.overview import daily_spend_by_model_figure
from ..charts.spend import spend_per_developer_figure
from ..filters import DashboardFilterForm, org_today, scope_for, table_sort
from ..tables_csv import DATE, INT, MONEY, RATIO, Column, csv_href, csv_response, wants_csv
from .when import when_context

SESSIONS_PER_PAGE = 25
# The Developers table's rows a page: its cost grows with the rows shown, not with the org (the CSV has everyone).
DEVELOPERS_PER_PAGE = 100
# How the Sessions table's flags are taken (templates/dashboard/_session_flag_rules.html).
FLAG_RULES = {"days": session_selectors.BASELINE_DAYS, "min_requests": session_selectors.MIN_FLAG_REQUESTS,
              "min_sessions": session_selectors.MIN_BASELINE_SESSIONS}
# (sort key, heading, numeric); the order of the table's columns.
COLUMNS = (
    ("developer", "Developer", False), ("team", "Team", False), ("spend", "Spend", True),
    ("active_days", "Active days", True), ("average", "Avg / active day", True), ("p90", "P90 / active day", True),
    ("worst_day", "Worst day", True), ("days_over_ceiling", "Days over ceiling", True),
    ("cache_hit_rate", "Cache hit rate", True), ("main_model", "Main model", False), ("sessions", "Sessions", True),
)

# The Developers table as a CSV download (tables_csv), its columns in the page's order.
CSV_COLUMNS = (
    Column("developer", "Developer"), Column("team", "Team"), Column("spend", "Spend (USD)", MONEY),
    Column("active_days", "Active days", INT), Column("average_per_active_day", "Avg / active day (USD)", MONEY),
    Column("p90", "P90 / active day (USD)", MONEY), Column("worst_day", "Worst day", DATE),
    Column("worst_day_cost", "Worst day cost (USD)", MONEY), Column("days_over_ceiling", "Days over ceiling", INT),
    Column("cache_hit_rate", "Cache hit rate", RATIO), Column("main_model", "Main model"),
    Column("sessions", "Sessions", INT),
)

# What the project filter narrows on the Developers list (selectors.developers), said on the page: the
# per-developer-day figures cannot be split, so they are taken over the days with usage in the project.
PROJECT_APPLIES = (
    "spend, requests, tokens, cache hit rate and main model are this project's; active days, the average "
    "and P90 per active day, the worst day and days over the ceiling count each developer's days with usage "
    "in this project, at their spend in it; sessions are this project's (session counts from daily reports "
    "are not split by project and are not shown)"
)


def _headings(scope, column: str, descending: bool) -> list[dict]:
    """Each column's heading with the link that sorts by it (the other way round when it is the
    current sort), keeping the filters."""
    out = []
    for key, label, numeric in COLUMNS:
        current = key == column
        first_desc = key not in TEXT_COLUMNS
        link_desc = (not descending) if current else first_desc
        out.append({
            "key": key, "label": label, "numeric": numeric, "current": current,
            "aria_sort": ("descending" if descending else "ascending") if current else None,
            "query": scope.querystring(sort=key, dir="desc" if link_desc else "asc"),
        })
    return out


@login_required
def developer_list(request):
    """Every developer the user may see, narrowed by the filter bar; sorted server-side."""
    scope, filters = scope_for(request)
    org = OrgSettings.get()
    column, descending = table_sort(request.GET)
    table = selectors.developer_table(scope, ceiling=org.daily_ceiling, sort=column, descending=descending,
                                      lazy=True)
    if wants_csv(request):
        return csv_response("developers", scope, CSV_COLUMNS, table["fill"](table["developers"]))
    shown = Paginator(table["developers"], DEVELOPERS_PER_PAGE).get_page(request.GET.get("page"))
    table["fill"](shown.object_list)  # the page's rows: their P90, worst day, cache, model and sessions
    label = filters.p90_label(request.user)
    figure = None
    if table["chart_days"]:
        figure = spend_per_developer_figure(
            table["chart_days"], org.average_daily_cost, org.daily_ceiling, table["p90"], p90_label=label
        )
    return render(request, "dashboard/developers.html", {
        "scope": scope, "filters": filters, "org": org, "table": table, "figure": figure,
        "headings": _headings(scope, column, descending), "sees_all": filters.sees_all, "p90_label": label,
        "linked": filters.sees_all or filters.visible.exists(),
        # The filter bar keeps a sort the user chose.
        "keep": [("sort", column), ("dir", "desc" if descending else "asc")] if "sort" in request.GET else [],
        "shown": shown,
        "page_query": scope.querystring(**({"sort": column, "dir": "desc" if descending else "asc"}
                                           if "sort" in request.GET else {})),
        "detail_query": scope.querystring(team="", developer=""),
        "csv_href": csv_href(request),
        "project_applies": PROJECT_APPLIES,
    })


@login_required
def developer_detail(request, pk: int):
    """One developer's page. A developer may open only their own (anyone else's: 404, as if it did
    not exist); admin and billing any. The filter bar's date range and model apply; its team
    and developer fields do not (the page is one developer's)."""
    developer = get_object_or_404(roles.developers_visible_to(request.user).select_related("team"), pk=pk)
    data = request.GET.copy()
    for name in ("team", "developer"):
        data.pop(name, None)
    filters = DashboardFilterForm(data, user=request.user, today=org_today())  # the default range of every page
    sees_all, filters.sees_all = filters.sees_all, False  # hides the bar's team and developer fields here
    scope = replace(filters.scope(), developers=Developer.objects.filter(pk=developer.pk))
    org = OrgSettings.get()
    detail = selectors.developer_detail(scope, ceiling=org.daily_ceiling)
    label = "Your P90" if developer.user_id == request.user.pk else "Their P90"
    sessions = Paginator(selectors.developer_sessions(scope), SESSIONS_PER_PAGE).get_page(request.GET.get("page"))
    for row in sessions:  # the page's rows only: flags cost one query for them all
        row.update(session_selectors.session_figures(row), minutes=selectors.session_minutes(row))
    session_selectors.sessions_flag(list(sessions))
    charts = {}
    if detail["summary"]:
        p90 = detail["summary"]["p90"]
        charts = {
            "daily": daily_cost_figure(detail["days"], org.average_daily_cost, org.daily_ceiling, p90, p90_label=label),
            "cache": hit_rate_per_day_figure(detail["cache_by_day"], scope.since, scope.until)
            if any(row["hit_rate"] is not None for row in detail["cache_by_day"]) else None,
            "models": daily_spend_by_model_figure(detail["by_model"]) if detail["by_model"] else None,
        }
    return render(request, "dashboard/developer.html", {
        "developer": developer, "scope": scope, "filters": filters, "org": org, "detail": detail,
        "charts": charts, "sessions": sessions, "p90_label": label, "sees_all": sees_all, "rules": FLAG_RULES,
        "linked": True, "list_query": scope.querystring(), "split_days": split_days(scope),
        "failed_calls": developer_errors(developer.pk, scope.since, scope.until),  # failed calls: never billed
        "when": when_context(scope, org.time_zone, detail["summary"]["spend"]) if detail["summary"] else None,
        "projects": _projects(scope, developer.pk),
        "project_applies": ("the summary, the daily cost, cache and model charts and the Projects table are that "
                            "project's (active days: days with usage in it); the heatmap, sessions, failed calls "
                            "and activity show every project"),
    })


def _projects(scope, developer_id: int) -> list[dict]:
    """The developer's projects (chargeback.projects), each with a link to it on the Projects page."""
    rows = developer_projects(scope)
    for row in rows:
        row["link"] = scope.querystring(developer=str(developer_id), project=row["name"])
    return rows
