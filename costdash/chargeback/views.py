"""The chargeback rules page: admins and billing read it (with what the rules do to last month);
only admins add, change or delete rules."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from costdash.accounts import roles

from .forms import ChargebackRuleForm
from .models import ChargebackRule


def _require_viewer(request) -> None:
    roles.require_sees_all_spend(request.user, "Chargeback rules are the org's billing: admins and billing see them.")


def _require_admin(request) -> None:
    roles.require_admin(request.user, "Only admins add, change or delete chargeback rules.")


@login_required
def rule_list(request):
    _require_viewer(request)
    return render(request, "chargeback/list.html", {
        "rules": ChargebackRule.objects.order_by("position", "id"), "is_admin": roles.is_admin(request.user),
    })


@login_required
def rule_edit(request, rule_id: int | None = None):
    """Add (no id) or change a rule."""
    _require_admin(request)
    rule = get_object_or_404(ChargebackRule, pk=rule_id) if rule_id else None
    form = ChargebackRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"Rule saved: {saved}.")
        return redirect("chargeback:list")
    return render(request, "chargeback/form.html", {"form": form, "rule": rule})


@login_required
def rule_delete(request, rule_id: int):
    _require_admin(request)
    rule = get_object_or_404(ChargebackRule, pk=rule_id)
    if request.method == "POST":
        rule.delete()
        messages.success(request, f"Rule deleted: {rule}.")
        return redirect("chargeback:list")
    return render(request, "chargeback/delete.html", {"rule": rule})
