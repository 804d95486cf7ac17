"""Where each spend limit stands in a month: spend, projection, the day it is hit, and its status.

Statuses, for a limit L with warning share s (0 < s < 1) and spend S to the day shown:

- ``over``: S > L. Spending exactly L is not over it (the same rule as projection.limit_day).
- ``warning``: not over, and at least one of: S >= s × L (reason ``share``; exactly at s × L
  counts), or the projection to month end P > L (reason ``projection``; P exactly L does not).
  Both reasons are listed when both hold.
- ``ok``: neither.

The current month is measured through the org's today (its partial spend included) and projected
with rollups.projection (burn rate of the 7 full days before today). A past month is measured
through its last day: its final spend, with no burn rate or projection (``final``), and only the
``share`` reason can warn. Org spend is by org-local day; a workspace's by UTC day, as Anthropic
reports it (rollups.selectors.limits).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from costdash.accounts.models import OrgSettings
from costdash.lib.dates import reporting_day
from costdash.lib.money import usd
from costdash.rollups.projection import month_projection, projection_window
from costdash.rollups.selectors.limits import BILLED, PRICED, DailySpend, org_daily_spend, workspace_daily_spend

from .models import SpendLimit

OK, WARNING, OVER = "ok", "warning", "over"
SHARE, PROJECTION = "share", "projection"
STATUS_LABELS = {OK: "OK", WARNING: "Warning", OVER: "Over the limit"}


@dataclass(frozen=True)
class LimitStatus:
    """One limit in one month. ``as_of``: the last day counted (today, or a past month's last day).
    ``daily``: spend per day of the month up to as_of. ``burn_rate`` and ``projected`` are None for
    a past month. ``hit_day``: the day spend exceeded the limit, or will at the burn rate this
    month; None when it does not. ``basis``: "counted" (org), else "billed", "priced" or "billed +
    priced" (workspace), with ``billed_days``/``priced_days`` saying which days are which."""

    limit: SpendLimit
    month_start: date
    month_end: date
    as_of: date
    final: bool
    daily: dict[date, Decimal]
    spend: Decimal
    burn_rate: Decimal | None
    projected: Decimal | None
    hit_day: date | None
    status: str
    reasons: tuple[str, ...]
    basis: str
    billed_days: int
    priced_days: int
    unpriced: int

    @property
    def share_used(self) -> Decimal:
        """Spend as a share of the limit (1 = the whole limit; may pass 1)."""
        return self.spend / self.limit.amount

    @property
    def percent_used(self) -> int:
        """share_used in whole percent, rounded down, for the progress bar (capped at 100)."""
        return min(int(self.share_used * 100), 100)

    @property
    def share_used_percent(self) -> Decimal:
        """share_used in percent to one decimal, for people ("85.3")."""
        return (self.share_used * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def over_by(self) -> Decimal:
        """How far spend is past the limit (0 when it is not)."""
        return max(self.spend - self.limit.amount, Decimal(0))

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def hit_is_projected(self) -> bool:
        return self.hit_day is not None and self.hit_day > self.as_of

    @property
    def reason_texts(self) -> list[str]:
        return [reason_text(self, reason) for reason in self.reasons]


def classify(spend: Decimal, projected: Decimal | None, limit: Decimal, share: Decimal) -> tuple[str, tuple[str, ...]]:
    """(status, reasons) by the rules in the module docstring. ``projected`` None: no projection."""
    if spend > limit:
        return OVER, ()
    reasons = []
    if spend >= share * limit:
        reasons.append(SHARE)
    if projected is not None and projected > limit:
        reasons.append(PROJECTION)
    return (WARNING if reasons else OK), tuple(reasons)


def reason_text(status: LimitStatus, reason: str) -> str:
    limit = status.limit
    if reason == SHARE:
        return (f"Spend so far ({usd(status.spend)}) has reached {limit.warning_percent} of the limit "
                f"({usd(limit.warning_amount)}).")
    return f"At the current burn rate the month ends at {usd(status.projected)}, over the limit."


def org_today() -> date:
    return reporting_day(timezone.now(), OrgSettings.get().time_zone)


def month_bounds(day: date) -> tuple[date, date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def limits_status(today: date | None = None, month: date | None = None) -> list[LimitStatus]:
    """Every limit (org first, then workspaces by name) in the month of ``month`` (default: today's),
    as of ``today`` (default: the org's today) for the current month, or as of its last day for a
    past one. A month after today's is a ValueError. Three queries, plus one for limits on workspaces."""
    today = today or org_today()
    month_start, month_end = month_bounds(month or today)
    if month_start > today:
        raise ValueError(f"{month_start:%B %Y} has not started yet")
    final = month_end < today
    as_of = month_end if final else today
    limits = list(SpendLimit.objects.all())
    since, until = projection_window(as_of)
    spends: dict[str, DailySpend] = workspace_daily_spend(
        [lim.workspace for lim in limits if lim.scope == SpendLimit.Scope.WORKSPACE], since, until
    )
    if any(lim.scope == SpendLimit.Scope.ORG for lim in limits):
        spends[""] = org_daily_spend(since, until)
    return [_status(lim, spends[lim.workspace], month_start, as_of, final) for lim in limits]


def _status(limit: SpendLimit, spend: DailySpend, month_start: date, as_of: date, final: bool) -> LimitStatus:
    projection = month_projection(spend.daily, as_of)
    in_month = {d: v for d, v in spend.daily.items() if month_start <= d <= as_of}
    projected = None if final else projection.projected
    status, reasons = classify(projection.spend_to_date, projected, limit.amount, limit.warning_share)
    basis_days = [b for d, b in spend.basis.items() if month_start <= d <= as_of]
    billed, priced = basis_days.count(BILLED), basis_days.count(PRICED)
    if limit.scope == SpendLimit.Scope.ORG:
        basis = "counted"
    else:
        basis = " + ".join(name for name, days in ((BILLED, billed), (PRICED, priced)) if days) or "none"
    # A past month's hit day is only ever one that happened: its projection ends on its last day.
    return LimitStatus(
        limit=limit, month_start=month_start, month_end=projection.month_end, as_of=as_of, final=final,
        daily=in_month, spend=projection.spend_to_date,
        burn_rate=None if final else projection.burn_rate, projected=projected,
        hit_day=projection.limit_day(limit.amount, spend.daily), status=status, reasons=reasons,
        basis=basis, billed_days=billed, priced_days=priced, unpriced=spend.unpriced_between(month_start, as_of),
    )

