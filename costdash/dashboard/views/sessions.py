"""Sessions: the range's most expensive (filter bar, top N) and one session's page with its timeline.

A developer sees only their own sessions (anyone else's: 404, as if it did not exist); admins and
billing any. Every link carries the filters in force.
"""
from collections import Counter

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from costdash.accounts import roles
from costdash.accounts.models import Developer, OrgSettings
from costdash.chargeback.models import ProjectAlias
from costdash.lib.dates import zone
from costdash.rollups.selectors import sessions as selectors
from costdash.rollups.session_timeline import timeline

from ..charts.sessions import session_timeline_figure
from ..filters import scope_for
from ..tables_csv import INT, MONEY, RATIO, Column, csv_href, csv_response, wants_csv

TOP_CHOICES = (10, selectors.TOP_DEFAULT, 50, selectors.TOP_MAX)
# The sessions table as a CSV download (tables_csv); times in the org's time zone, as on the page.
CSV_COLUMNS = (
    Column("session_id", "Session"), Column("developer_name", "Developer"), Column("project_name", "Project"),
    Column("started", "Started"), Column("minutes", "Minutes", INT), Column("requests", "Requests", INT),
    Column("cost", "Cost (USD)", MONEY), Column("cost_per_turn", "Cost / turn (USD)", RATIO),
    Column("hit_rate", "Hit rate", RATIO), Column("flag_names", "Flags"),
)


def _csv_rows(rows: list[dict], tz):
    for row in rows:
        yield row | {"developer_name": row["developer"].display_name,
                     "started": row["first_at"].astimezone(tz).isoformat(timespec="minutes"),
                     "flag_names": "; ".join(flag.text for flag in row["flags"])}


def _top(params) -> int:
    """?top=<n>: how many sessions to list, within 1..TOP_MAX (else TOP_DEFAULT)."""
    try:
        value = int(params.get("top", selectors.TOP_DEFAULT))
    except (TypeError, ValueError):
        return selectors.TOP_DEFAULT
    return value if 1 <= value <= selectors.TOP_MAX else selectors.TOP_DEFAULT


def _query(scope, params) -> str:
    """The filters in force, and the list's ?top= when chosen: what links between the two pages keep."""
    return scope.querystring(top=str(_top(params)) if "top" in params else "")


def _aliases() -> dict[str, str]:
    return dict(ProjectAlias.objects.values_list("repository", "name"))


@login_required
def session_list(request):
    """The scope's most expensive sessions (their part inside the range), with who, what project,
    requests, hit rate, cost per turn and flags against the developer's own usual."""
    scope, filters = scope_for(request)
    top = _top(request.GET)
    rows = selectors.top_sessions(scope, top)
    developers = Developer.objects.in_bulk({row["developer_id"] for row in rows})
    aliases = _aliases()
    for row in rows:
        row["developer"] = developers[row["developer_id"]]
        row["project_name"] = aliases.get(row["project"], row["project"]) if row["project"] else ""
        row["minutes"] = round((row["last_at"] - row["first_at"]).total_seconds() / 60)
    org = OrgSettings.get()
    if wants_csv(request):
        return csv_response("sessions", scope, CSV_COLUMNS, _csv_rows(rows, zone(org.time_zone)))
    return render(request, "dashboard/sessions.html", {
        "scope": scope, "filters": filters, "org": org, "rows": rows, "top": top, "csv_href": csv_href(request),
        "tops": [(n, scope.querystring(top=str(n))) for n in TOP_CHOICES],
        "keep": [("top", top)] if "top" in request.GET else [], "query": _query(scope, request.GET),
        "developer_query": scope.querystring(team="", developer=""), "linked": filters.visible.exists(),
        "flagged": sum(bool(row["flags"]) for row in rows), "rules": _rules(),
    })


def _rules() -> dict:
    return {"days": selectors.BASELINE_DAYS, "min_requests": selectors.MIN_FLAG_REQUESTS,
            "min_sessions": selectors.MIN_BASELINE_SESSIONS}


@login_required
def session_detail(request, session_id: str):
    """One session, whole (every day of it, whatever the filter's range): project, developer, start,
    duration, models, figures, flags and its requests as a timeline (at most REQUEST_CAP)."""
    scope, filters = scope_for(request)
    ids = selectors.session_developer_ids(session_id, roles.developers_visible_to(request.user))
    if not ids:
        raise Http404("No such session")
    chosen = int(request.GET["by"]) if request.GET.get("by", "").isdigit() and int(request.GET["by"]) in ids \
        else ids[0]
    developer = Developer.objects.select_related("team").get(pk=chosen)
    summary = selectors.session_summary(chosen, session_id)
    found = selectors.session_requests(chosen, session_id, summary["first_at"], summary["last_at"])
    line = timeline(found.rows)
    org = OrgSettings.get()
    aliases = _aliases()
    models = Counter(row["model"] for row in found.rows).most_common()
    return render(request, "dashboard/session.html", {
        "session_id": session_id, "developer": developer, "summary": summary, "org": org, "scope": scope,
        "filters": filters, "line": line, "capped": found.capped, "cap": selectors.REQUEST_CAP,
        "shown": len(found.rows),
        "projects": [(aliases.get(name, name), n) for name, n in found.projects], "models": models,
        "minutes": round((summary["last_at"] - summary["first_at"]).total_seconds() / 60),
        "figure": session_timeline_figure(line, zone(org.time_zone)) if line.turns else None,
        "others": [pk for pk in ids if pk != chosen], "query": _query(scope, request.GET),
        "developer_query": scope.querystring(team="", developer=""), "rules": _rules(),
    })
