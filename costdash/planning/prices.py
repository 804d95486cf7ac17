"""Which plan price applies to a month: the plan table read as of the month's first day."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .models import PLAN_ORDER, Plan, PlanPrice


@dataclass(frozen=True)
class PlanPriceRow:
    plan: str
    label: str
    monthly_price: Decimal | None  # None: no published price
    effective_from: date | None
    as_of: date
    source: str
    confidence: str
    note: str
    from_seed: bool


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _row(price: PlanPrice) -> PlanPriceRow:
    return PlanPriceRow(
        plan=price.plan, label=Plan(price.plan).label, monthly_price=price.monthly_price,
        effective_from=price.effective_from, as_of=price.as_of, source=price.source,
        confidence=price.confidence, note=price.note, from_seed=price.from_seed,
    )


def _in_force(rows: list[PlanPrice], day: date) -> PlanPrice | None:
    """The row in force on ``day``: the latest effective_from on or before it (empty = always);
    on the same effective_from an admin row over a seeded one."""
    started = [row for row in rows if row.effective_from is None or row.effective_from <= day]
    if not started:
        return None
    return max(started, key=lambda row: (row.effective_from or date.min, not row.from_seed))


def plan_prices(month: date, rows: list[PlanPrice] | None = None) -> dict[str, PlanPriceRow | None]:
    """Every plan, in Plan order, with the row in force on ``month``'s first day (None: no row)."""
    rows = list(PlanPrice.objects.all()) if rows is None else rows
    first = month.replace(day=1)
    out = {}
    for plan in Plan.values:
        found = _in_force([row for row in rows if row.plan == plan], first)
        out[plan] = _row(found) if found else None
    return out


def plan_table() -> list[PlanPriceRow]:
    """Every row of the table, by plan (in Plan order) then date: what the page and API list."""
    rows = sorted(PlanPrice.objects.all(),
                  key=lambda row: (PLAN_ORDER[row.plan], row.effective_from or date.min, not row.from_seed))
    return [_row(row) for row in rows]
