"""The Rate limits page: admins and billing read it; only admins enter the org's limits.

Developers get 403: the org's and the teams' load is not a developer's own usage.
"""
from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from costdash.accounts import roles
from costdash.accounts.models import OrgSettings
from costdash.dashboard.filters import org_today

from .charts import per_minute_figure
from .forms import OrgRateLimitForm, RangeForm
from .models import OrgRateLimit
from .percentiles import LABELS, METRICS
from .selectors import rate_plan
from .services import org_rate_limit_save

CHART_METRICS = ("tpm", "itpm", "otpm", "rpm")


def _charts(scope, plan) -> list[tuple[str, str, dict]]:
    """(id, label, figure) per measure for ``scope``: the org's limits are drawn on the org's charts."""
    limits = plan.limits
    rec = scope.recommendation
    out = []
    for metric in CHART_METRICS:
        refs: list[tuple[Decimal, str]] = []
        entered = getattr(limits, metric, None) if scope.key == "org" and metric != "tpm" else None
        if entered:
            refs.append((Decimal(entered), f"{metric.upper()} limit {entered:,}"))
        if rec and metric == "tpm":
            refs.append((Decimal(rec.tpm_low), f"Recommended {rec.tpm_low:,} ({rec.users} x {rec.band.tpm_low:,})"))
        if rec and metric == "rpm":
            refs.append((rec.rpm_low, f"Recommended {rec.rpm_low:,.2f} ({rec.users} x {rec.band.rpm_low})"))
        out.append((f"rate-chart-{metric}", LABELS[metric], per_minute_figure(scope, metric, refs)))
    return out


@login_required
def rate_limits(request):
    """The org's and each team's per-minute figures by day (?since=&until=, ?scope=org|team-<id>)."""
    roles.require_sees_all_spend(request.user, "Rate-limit planning shows the whole org's load: admins and billing.")
    org = OrgSettings.get()
    form = RangeForm(request.GET, today=org_today())
    since, until = form.range()
    plan = rate_plan(since, until, org.time_zone)
    scopes = [plan.org, *plan.teams]
    chosen = next((s for s in scopes if s.key == request.GET.get("scope")), plan.org)
    is_admin = roles.is_admin(request.user)
    return render(request, "ratelimits/page.html", {
        "plan": plan, "form": form, "org": org, "scopes": scopes, "chosen": chosen,
        "charts": _charts(chosen, plan), "metrics": METRICS, "labels": LABELS, "is_admin": is_admin,
        "limits_form": OrgRateLimitForm(instance=plan.limits) if is_admin else None,
    })


@login_required
def rate_limits_edit(request):
    """The org's ITPM, OTPM and RPM (an empty field is not compared)."""
    roles.require_admin(request.user, "Only admins enter the org's rate limits.")
    form = OrgRateLimitForm(request.POST or None, instance=OrgRateLimit.get())
    if request.method == "POST" and form.is_valid():
        org_rate_limit_save(form, request.user)
        messages.success(request, "The org's rate limits are saved.")
        return redirect("ratelimits:page")
    return render(request, "ratelimits/edit.html", {"form": form})
