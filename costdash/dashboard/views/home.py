"""The home page (/): the Overview for admins and billing; for a developer, their own "today"
(rollups.selectors.today), instead of a team overview scoped to one person."""
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from costdash.accounts import roles
from costdash.accounts.models import Developer, OrgSettings
from costdash.budgets.selectors import budgets_of_developer
from costdash.rollups import selectors
from costdash.rollups.scope import Scope
from costdash.rollups.selectors.today import USUAL_DAYS, developer_today

from ..filters import org_today
from .overview import overview

RECENT_SESSIONS = 5
RECENT_DAYS = 30


@login_required
def home(request):
    """Admins and billing: the Overview (its filters apply). Anyone else: developer_home."""
    if roles.sees_all_spend(request.user):
        return overview(request)
    return developer_home(request)


def _session_url(session_id: str) -> str | None:
    """The session's own page, when the project has one."""
    try:
        return reverse("dashboard:session", args=[session_id])
    except NoReverseMatch:
        return None


def recent_sessions(developer: Developer, today) -> list[dict]:
    """Their latest RECENT_SESSIONS sessions of the last RECENT_DAYS days (selectors.developer_sessions
    rows with minutes and url)."""
    scope = Scope(Developer.objects.filter(pk=developer.pk), today - timedelta(days=RECENT_DAYS - 1), today)
    rows = list(selectors.developer_sessions(scope)[:RECENT_SESSIONS])
    for row in rows:
        row["minutes"] = selectors.session_minutes(row)
        row["url"] = _session_url(row["session_id"])
    return rows


def developer_home(request):
    """The signed-in developer's today, week, month, standing and recent sessions. A login linked
    to no developer sees why there is nothing to show."""
    org = OrgSettings.get()
    today = org_today()
    developer = Developer.objects.filter(user=request.user).select_related("team").first()
    context = {"org": org, "today": today, "developer": developer, "usual_days": USUAL_DAYS,
               "recent_days": RECENT_DAYS}
    if developer is not None:
        context |= {
            "figures": developer_today(
                developer.pk, today, average=org.average_daily_cost, ceiling=org.daily_ceiling
            ),
            "sessions": recent_sessions(developer, today),
            "budgets": budgets_of_developer(developer, today),
        }
    return render(request, "dashboard/home.html", context)
