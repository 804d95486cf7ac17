"""The Plan prices page: the dated plan table (admins and billing read it; everyone sees the rows in force on
the Plans page). Admins add a dated row and delete rows they added; seeded rows are read-only."""
from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render

from costdash.accounts import roles

from .forms import PlanPriceForm
from .models import PLAN_ORDER, PlanPrice
from .services import PlanPriceExists, plan_price_add, plan_price_delete


def _rows() -> list[PlanPrice]:
    """By plan (in Plan order), then first month; on one month the seeded row before the admin's (which wins)."""
    return sorted(PlanPrice.objects.all(),
                  key=lambda row: (PLAN_ORDER[row.plan], row.effective_from or date.min, not row.from_seed))


def _page(request, form: PlanPriceForm | None, status: int = 200):
    is_admin = roles.is_admin(request.user)
    return render(request, "planning/prices.html", {"rows": _rows(), "is_admin": is_admin,
                                                    "form": form if is_admin else None}, status=status)


@login_required
def plan_price_list(request):
    roles.require_sees_all_spend(request.user, "The plan table's rows are kept by admins and read by billing.")
    return _page(request, PlanPriceForm())


@login_required
def plan_price_create(request):
    roles.require_admin(request.user, "Only admins add plan prices.")
    if request.method != "POST":
        return redirect("planning:prices")
    form = PlanPriceForm(request.POST)
    if form.is_valid():
        try:
            saved = plan_price_add(form.save(commit=False))
        except PlanPriceExists:
            form.add_error("effective_from", "This plan already has a row of yours from this month: delete it first.")
        else:
            messages.success(request, f"{saved} is added: months from then are priced by it.")
            return redirect("planning:prices")
    return _page(request, form)


@login_required
def plan_price_remove(request, price_id: int):
    roles.require_admin(request.user, "Only admins delete plan prices.")
    price = get_object_or_404(PlanPrice, pk=price_id)
    if price.from_seed:
        raise PermissionDenied("A seeded plan price is the published figure as read: add a row to override it.")
    if request.method == "POST":
        plan_price_delete(price)
        messages.success(request, f"{price} is deleted.")
        return redirect("planning:prices")
    return render(request, "planning/price_delete.html", {"price": price})
