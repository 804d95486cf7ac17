"""Writes to the plan table: an admin adds a dated row or deletes one they added. Seeded rows are the published
figures as read: never changed or deleted here (a row of one's own overrides one)."""
from __future__ import annotations

from django.db import IntegrityError, transaction

from .models import PlanPrice


class PlanPriceExists(Exception):
    """The plan already has an admin's row from that month: delete that one first."""


def plan_price_add(price: PlanPrice) -> PlanPrice:
    """Save a new admin row (never a seeded one). Raises PlanPriceExists when the plan already has an admin's row
    with that first day (the unique constraint decides, so two admins adding at once cannot both succeed)."""
    if price.pk is not None or price.from_seed:
        raise ValueError("Plan prices are added, never changed: add a row with a later first month.")
    try:
        with transaction.atomic():
            price.save()
    except IntegrityError as exc:
        raise PlanPriceExists(str(price)) from exc
    return price


def plan_price_delete(price: PlanPrice) -> None:
    """Delete an admin's row; the row in force before it (the seeded one, or an earlier row) applies again."""
    if price.from_seed:
        raise ValueError("A seeded plan price cannot be deleted: add a row to override it.")
    price.delete()
