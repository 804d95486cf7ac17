"""The Budgets page: everyone opens it and sees what their role allows (admins and billing every
budget, a developer their own and the default as it applies to them); only admins add, change or
delete budgets, set LiteLLM's address and key, and push budgets to LiteLLM or take them off."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from costdash.accounts import roles
from costdash.accounts.models import Developer, OrgSettings
from costdash.lib.money import usd
from costdash.limits.selectors import org_today

from . import enforcement
from .forms import BudgetForm, LiteLLMConnectionForm
from .models import Budget, BudgetPush
from .selectors import budgets_of_developer, budgets_status, last_pushes
from .services import budget_delete, budget_save, litellm_connection_save

PUSHES_SHOWN = 20


def _require_admin(request, what="add, change or delete budgets") -> None:
    roles.require_admin(request.user, f"Only admins {what}.")


@login_required
def budget_list(request):
    today = org_today()
    sees_all = roles.sees_all_spend(request.user)
    if sees_all:
        statuses = budgets_status(today)
    else:
        developer = Developer.objects.filter(user=request.user).first()
        statuses = budgets_of_developer(developer, today) if developer else []
    pushes = last_pushes(s.budget.pk for s in statuses) if sees_all else {}
    rows = budget_rows(statuses, pushes)
    context = {
        "org": OrgSettings.get(), "today": today, "rows": rows, "sees_all": sees_all,
        "is_admin": roles.is_admin(request.user), "enforcement_on": enforcement.enforcement_enabled(),
        "connection": enforcement.connection() if sees_all else None,
        "pushes": BudgetPush.objects.select_related("created_by")[:PUSHES_SHOWN] if sees_all else [],
    }
    return render(request, "budgets/list.html", context)


def budget_rows(statuses, pushes: dict) -> list[dict]:
    """What the table shows of each standing, formatted here once: a team's default budget covers
    hundreds of developers, and per-row template filters and URL reversing would cost more than the
    figures. ``first``: the budget's first row (its links and LiteLLM cell go there only)."""
    rows, seen = [], set()
    urls: dict[int, tuple[str, str, str, str]] = {}
    for s in statuses:
        budget = s.budget
        if budget.pk not in urls:
            urls[budget.pk] = tuple(reverse(f"budgets:{name}", args=[budget.pk])
                                    for name in ("edit", "delete", "enforce", "release"))
        push = pushes.get(budget.pk)
        rows.append({
            "status": s, "budget": budget, "subject": s.subject_label, "period": s.period_label,
            "amount": usd(budget.amount), "spend": usd(s.spend), "percent": s.percent_used,
            "projected": usd(s.projected), "reach": f"{s.reach_day:%b} {s.reach_day.day}" if s.reach_day else "",
            "reach_projected": s.reach_is_projected, "state": s.status, "state_label": s.status_label,
            "first": budget.pk not in seen, "urls": urls[budget.pk], "push": push,
            "enforcement": enforcement.enforcement_state(budget, push),
        })
        seen.add(budget.pk)
    return rows


@login_required
def budget_edit(request, budget_id: int | None = None):
    _require_admin(request)
    budget = get_object_or_404(Budget, pk=budget_id) if budget_id else None
    form = BudgetForm(request.POST or None, instance=budget)
    if request.method == "POST" and form.is_valid():
        saved = budget_save(form, request.user)
        if saved is not None:
            messages.success(request, f"{saved} is saved: {usd(saved.amount)} {saved.period_word}.")
            return redirect("budgets:list")
    return render(request, "budgets/form.html", {"form": form, "budget": budget,
                                                 "enforcement_on": enforcement.enforcement_enabled()})


@login_required
def budget_delete_view(request, budget_id: int):
    _require_admin(request)
    budget = get_object_or_404(Budget, pk=budget_id)
    if request.method == "POST":
        release = budget_delete(budget, request.user)
        messages.success(request, f"{budget} is deleted.")
        if release is not None and not release.ok:
            messages.error(request, f"LiteLLM still holds it: taking it off failed: {release.error}")
        return redirect("budgets:list")
    return render(request, "budgets/delete.html", {"budget": budget})


def _litellm_action(request, budget_id: int, act, done: str):
    _require_admin(request, "push budgets to LiteLLM")
    budget = get_object_or_404(Budget, pk=budget_id)
    try:
        push = act(budget, request.user)
    except enforcement.EnforcementOff as exc:
        messages.error(request, str(exc))
        return redirect("budgets:list")
    if push.ok:
        messages.success(request, f"{budget}: {done}.")
    else:
        messages.error(request, f"{budget}: LiteLLM did not take it: {push.error}")
    return redirect("budgets:list")


@require_POST
@login_required
def budget_enforce(request, budget_id: int):
    return _litellm_action(request, budget_id, enforcement.budget_push, "enforced by LiteLLM")


@require_POST
@login_required
def budget_release_view(request, budget_id: int):
    return _litellm_action(request, budget_id, enforcement.budget_release, "taken off in LiteLLM")


@login_required
def litellm_settings(request):
    """LiteLLM's address and master key (stored encrypted; the page shows only its last four characters)."""
    _require_admin(request, "set up LiteLLM enforcement")
    conn = enforcement.connection()
    initial = {"base_url": conn.base_url} if conn else {}
    form = LiteLLMConnectionForm(request.POST or None, initial=initial, has_key=bool(conn and conn.key_ciphertext))
    enabled = enforcement.enforcement_enabled()
    if request.method == "POST" and enabled and form.is_valid():
        litellm_connection_save(form.cleaned_data["base_url"], form.cleaned_data["master_key"], request.user)
        messages.success(request, "LiteLLM's address and key are saved.")
        return redirect("budgets:list")
    return render(request, "budgets/litellm.html", {"form": form, "connection": conn, "enforcement_on": enabled})
