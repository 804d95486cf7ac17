"""The Prices page: every price row (admins and billing read it); admins add a row, correct or delete the rows
they added. Rows from the rate file (rates.toml) are read-only: a row of one's own with the same or a later
first day overrides one. Every change goes through costdash.pricing.services, which reprices the model's events
and recomputes their days, as the Django admin does."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render

from costdash.accounts import roles

from .forms import RATE_FIELDS, ModelPriceForm
from .models import ModelPrice
from .services import PriceRowExists, model_price_delete, model_price_save

READ_ONLY = ("This row comes from the rate file (rates.toml) and is changed there. To override it, add a row of your "
             "own for the same model, speed and tier: with a later first day, or with none where the file's row "
             "applies always.")


def _require_viewer(request) -> None:
    roles.require_sees_all_spend(request.user, "Prices are the org's settings: only admins and billing see them.")


def _require_admin(request) -> None:
    roles.require_admin(request.user, "Only admins add, change or delete prices.")


@login_required
def price_list(request):
    """Every row, or those whose model id contains ?model=."""
    _require_viewer(request)
    query = request.GET.get("model", "").strip()[:120]
    rows = ModelPrice.objects.all()
    if query:
        rows = rows.filter(model__icontains=query)
    return render(request, "pricing/list.html", {"rows": rows, "query": query,
                                                 "is_admin": roles.is_admin(request.user)})


def _own_row(price_id: int) -> ModelPrice:
    price = get_object_or_404(ModelPrice, pk=price_id)
    if price.from_rate_file:
        raise PermissionDenied(READ_ONLY)
    return price


@login_required
def price_edit(request, price_id: int | None = None):
    """Add a row (no id; ?copy=<id> starts from another row's figures, ?model= names the model) or correct one an
    admin added."""
    _require_admin(request)
    price = _own_row(price_id) if price_id else None
    initial = {"model": request.GET.get("model", "")[:120]} if price is None else {}  # "add its price" on an import
    if price is None and request.GET.get("copy", "").isdigit():
        source = ModelPrice.objects.filter(pk=int(request.GET["copy"])).first()
        initial = {name: getattr(source, name) for name in RATE_FIELDS} if source else {}
    before = price.model if price else None
    form = ModelPriceForm(request.POST or None, instance=price, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = model_price_save(form.save(commit=False), before_model=before)
        except PriceRowExists:
            form.add_error(None, "A row for this model, speed, tier and first day was just added: change that one.")
        else:
            messages.success(request, f"{saved} is saved. Its requests are being priced again; the days they fall "
                                      "on are recomputed.")
            return redirect("pricing:list")
    return render(request, "pricing/form.html", {"form": form, "price": price})


@login_required
def price_delete(request, price_id: int):
    _require_admin(request)
    price = _own_row(price_id)
    if request.method == "POST":
        model_price_delete(price)
        messages.success(request, f"{price} is deleted. Its requests are being priced again.")
        return redirect("pricing:list")
    return render(request, "pricing/delete.html", {"price": price})
