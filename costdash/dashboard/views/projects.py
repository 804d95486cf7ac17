"""The Projects page: spend, requests, developers, sessions, cache hit rate and model mix per
project (the repository of a transcript's working directory; chargeback.projects)."""
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from costdash.accounts import roles
from costdash.accounts.models import OrgSettings
from costdash.chargeback import projects as selectors

from ..charts.projects import project_spend_figure
from ..filters import scope_for
from ..tables_csv import INT, MONEY, RATIO, Column, csv_href, csv_response, wants_csv

# The per-project table's rows a page (an org of 2,000 developers has ~450 repositories; the CSV has every one).
PROJECTS_PER_PAGE = 100

# The per-project table as a CSV download (tables_csv).
CSV_COLUMNS = (
    Column("name", "Project"), Column("repositories", "Repositories"), Column("spend", "Spend (USD)", MONEY),
    Column("share", "Share", RATIO), Column("requests", "Requests", INT),
    Column("unpriced_requests", "Unpriced requests", INT), Column("developers", "Developers", INT),
    Column("sessions", "Sessions", INT), Column("cache_hit_rate", "Cache hit rate", RATIO),
    Column("model_mix", "Model mix (share of spend)"),
)


def csv_rows(projects: list[dict]):
    for p in projects:
        mix = "; ".join(f"{m['model'] or '(no model)'} {m['share'] or 0:.2%}" for m in p["models"])
        yield p | {"repositories": "; ".join(p.get("repositories") or ()), "model_mix": mix}


@login_required
def project_list(request):
    """Filtered by the shared filter bar (project included), limited to what the user may see."""
    scope, filters = scope_for(request)
    table = selectors.project_table(scope)
    rows = table["projects"]
    if wants_csv(request):
        return csv_response("projects", scope, CSV_COLUMNS, csv_rows(rows))
    return render(request, "dashboard/projects.html", {
        "heading": "Projects",
        "scope": scope,
        "filters": filters,
        "sees_all": filters.sees_all,
        "org": OrgSettings.get(),
        "table": table,
        "shown": Paginator(rows, PROJECTS_PER_PAGE).get_page(request.GET.get("page")),
        "page_query": scope.querystring(),
        "outside": selectors.project_spend_outside(scope, table["total"]["spend"]) if rows and not scope.project else 0,
        "figure": project_spend_figure(rows) if any(p["spend"] for p in rows) else None,
        "project_applies": "every figure on this page is that project's",
        "linked": bool(rows) or filters.sees_all or filters.visible.exists(),
        "unknown": selectors.UNKNOWN_PROJECT,
        "awaiting": selectors.AWAITING,
        "can_rename": roles.sees_all_spend(request.user),
        "csv_href": csv_href(request),
    })
