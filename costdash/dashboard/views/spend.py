"""Dashboard pages: thin function views over rollups.selectors and charts."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from costdash.accounts import roles
from costdash.accounts.models import OrgSettings
from costdash.lib.dates import reporting_day
from costdash.rollups import selectors

from ..charts import spend_per_developer_figure
from ..forms import SpendRangeForm


@login_required
def spend(request):
    """Cost per developer per day against the reference figures, scoped to what the user may see."""
    org = OrgSettings.get()
    form = SpendRangeForm(request.GET, today=reporting_day(timezone.now(), org.time_zone))
    since, until = form.date_range()
    developers = roles.developers_visible_to(request.user)
    overview = selectors.spend_overview(
        developers, since, until, average=org.average_daily_cost, ceiling=org.daily_ceiling
    )
    sees_all = roles.sees_all_spend(request.user)
    p90_label = "Team P90" if sees_all else "Your P90"
    figure = None
    if overview["days"]:
        figure = spend_per_developer_figure(
            overview["days"], org.average_daily_cost, org.daily_ceiling, overview["p90"], p90_label=p90_label
        )
    return render(
        request,
        "dashboard/spend.html",
        {
            "form": form,
            "since": since,
            "until": until,
            "org": org,
            "overview": overview,
            "figure": figure,
            "sees_all": sees_all,
            "p90_label": p90_label,
            "linked": sees_all or developers.exists(),
        },
    )
