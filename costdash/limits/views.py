"""The Limits page: admins and billing read it; only admins add, change or delete limits.

Developers (and any login without the admin or billing role) get 403: limits are the org's money,
not a developer's own usage.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from costdash.accounts import roles
from costdash.accounts.models import OrgSettings
from costdash.dashboard.charts.limits import limit_figure
from costdash.lib.money import usd
from costdash.rollups.selectors.limits import known_workspaces

from .forms import MonthForm, SpendLimitForm
from .models import SpendLimit
from .selectors import limits_status, org_today
from .services import limit_save


def _require_viewer(request) -> None:
    roles.require_sees_all_spend(request.user, "Spend limits are the org's money: only admins and billing see them.")


def _require_admin(request) -> None:
    roles.require_admin(request.user, "Only admins add, change or delete spend limits.")


@login_required
def limit_list(request):
    """Every limit in the chosen month (?month=YYYY-MM, default the org's current month)."""
    _require_viewer(request)
    today = org_today()
    month_form = MonthForm(request.GET, today=today)
    month = month_form.first_day()
    statuses = limits_status(today, month)
    is_admin = roles.is_admin(request.user)
    context = month_form.page_context(month) | {
        "org": OrgSettings.get(),
        "limits": [(status, limit_figure(status), f"limit-chart-{status.limit.pk}") for status in statuses],
        "is_admin": is_admin,
        # No limit yet: an admin gets the form right here.
        "form": SpendLimitForm() if is_admin and not statuses else None,
        "workspaces": known_workspaces() if is_admin and not statuses else [],
    }
    return render(request, "limits/list.html", context)


@login_required
def limit_edit(request, limit_id: int | None = None):
    """Add (no id) or change a limit."""
    _require_admin(request)
    limit = get_object_or_404(SpendLimit, pk=limit_id) if limit_id else None
    form = SpendLimitForm(request.POST or None, instance=limit)
    if request.method == "POST" and form.is_valid():
        saved = limit_save(form, request.user)
        if saved is not None:
            messages.success(request, f"{saved} is saved: {usd(saved.amount)} a month.")
            return redirect("limits:list")
    return render(request, "limits/form.html", {"form": form, "limit": limit, "workspaces": known_workspaces()})


@login_required
def limit_delete(request, limit_id: int):
    _require_admin(request)
    limit = get_object_or_404(SpendLimit, pk=limit_id)
    if request.method == "POST":
        limit.delete()
        messages.success(request, f"{limit} is deleted.")
        return redirect("limits:list")
    return render(request, "limits/delete.html", {"limit": limit})
