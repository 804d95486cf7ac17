"""The Plans page: admins and billing see every developer and the team's mix; a developer sees only
their own advice (anyone else's page: 404, as if it did not exist)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from costdash.accounts import roles
from costdash.accounts.models import Developer, Team
from costdash.dashboard.charts.plans import developer_plans_figure, team_mix_figure
from costdash.dashboard.filters import org_today

from .forms import AdviceWindowForm
from .prices import plan_table
from .selectors import API, plan_advice, window_months


def _window(request) -> tuple[AdviceWindowForm, list, dict]:
    today = org_today()
    form = AdviceWindowForm(request.GET, today=today)
    last = form.last_month()
    months = window_months(last, form.month_count())
    context = form.page_context(last) | {"months_shown": len(months), "api_key": API}
    return form, months, context


@login_required
def plan_advice_page(request):
    """Every visible developer's advice over the window, the team's mix, and the plan table."""
    form, months, context = _window(request)
    sees_all = roles.sees_all_spend(request.user)
    developers = roles.developers_visible_to(request.user)
    team = None
    if sees_all and form.team_id():
        team = Team.objects.filter(pk=form.team_id()).first()
        developers = developers.filter(team=team)
    advice = plan_advice(developers, months, through=context["today"])
    return render(request, "planning/advice.html", context | {
        "advice": advice, "plans": plan_table(), "sees_all": sees_all, "team": team,
        "teams": Team.objects.all() if sees_all else [],
        "figure": team_mix_figure(advice) if advice.developers else None,
    })


@login_required
def plan_developer_page(request, pk: int):
    """One developer month by month: each plan's price, saving, ratio and the day spend passed it."""
    developer = get_object_or_404(roles.developers_visible_to(request.user).select_related("team"), pk=pk)
    _, months, context = _window(request)
    advice = plan_advice(Developer.objects.filter(pk=developer.pk), months, through=context["today"],
                         with_days=True)
    mine = advice.developers[0] if advice.developers else None
    return render(request, "planning/developer.html", context | {
        "developer": developer, "advice": advice, "mine": mine, "sees_all": roles.sees_all_spend(request.user),
        "figure": developer_plans_figure(mine) if mine else None,
    })
