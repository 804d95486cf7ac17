"""Daily spend a monthly limit is measured against: the org's counted usage, or one Anthropic workspace.

Org: the sum of DailyCost cost over every developer, per org-local day (the same counted figures as
every other page: each request once, aggregates only where no per-request source covers the
developer-day). Requests with no known price add nothing (never $0) and are counted in
``unpriced``.

Workspace: Anthropic names a workspace in two reports, both per UTC day. What it billed
(BilledCost) is used for every day it has billed lines for that workspace; any other day falls
back to the usage report's tokens priced by us (UsageAggregate.cost), so a day billing has not
reached yet still counts. A usage row with no known price adds nothing and is counted in
``unpriced``. When a day's usage was imported at several bucket widths (a daily and an hourly
report of the same day), only the widest is read, so the day is not counted twice. Workspaces are
matched by the exact string the report carries: the API's workspace id (``wrkspc_…``) or the
Console export's display name. The Default workspace has no id in the API (null, like an
ungrouped report), so it cannot be told apart and has no limit of its own.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from costdash.ingest.models import BilledCost, UsageAggregate
from costdash.lib.money import ZERO
from costdash.rollups.models import DailyCost

BILLED, PRICED = "billed", "priced"
# Widest first: a day's buckets are read at the first width present.
WIDTHS = ("1d", "1h", "1m", "")


def widest(widths) -> str:
    """The widest of a day's bucket widths (an unknown width counts as the narrowest)."""
    return min(widths, key=lambda w: WIDTHS.index(w) if w in WIDTHS else len(WIDTHS))


@dataclass
class DailySpend:
    """Spend per day (days with none may be missing). ``basis`` says where each day's figure came
    from (workspaces: BILLED or PRICED; empty for the org). ``unpriced`` per day: requests (org) or
    usage rows (workspace) left out of that day's figure because no price is known."""

    daily: dict[date, Decimal] = field(default_factory=dict)
    basis: dict[date, str] = field(default_factory=dict)
    unpriced: dict[date, int] = field(default_factory=dict)

    def unpriced_between(self, since: date, until: date) -> int:
        return sum(n for day, n in self.unpriced.items() if since <= day <= until)


def org_daily_spend(since: date, until: date) -> DailySpend:
    """Counted spend of every developer per org-local day, ``since <= day <= until``. One query."""
    rows = (
        DailyCost.objects.filter(day__gte=since, day__lte=until)
        .values("day")
        .annotate(cost=Sum("cost"), unpriced=Sum("unpriced_requests"))
        .values_list("day", "cost", "unpriced")
        .order_by()
    )
    spend = DailySpend()
    for day, cost, unpriced in rows:
        spend.daily[day] = cost or ZERO
        if unpriced:
            spend.unpriced[day] = unpriced
    return spend


def workspace_daily_spend(workspaces: Iterable[str], since: date, until: date) -> dict[str, DailySpend]:
    """Each workspace's spend per UTC day, ``since <= day <= until`` (see the module docstring).
    Every workspace asked for is in the answer, with no days when nothing was found. Two queries."""
    names = sorted({w for w in workspaces if w})
    found = {name: DailySpend() for name in names}
    if not names:
        return found
    billed = (
        BilledCost.objects.filter(workspace__in=names, day__gte=since, day__lte=until)
        .values("workspace", "day")
        .annotate(amount=Sum("amount"))
        .values_list("workspace", "day", "amount")
        .order_by()
    )
    for name, day, amount in billed:
        found[name].daily[day] = amount
        found[name].basis[day] = BILLED
    for (name, day), (cost, unpriced) in _priced_usage(names, since, until).items():
        if found[name].basis.get(day) == BILLED:
            continue
        found[name].daily[day] = cost
        found[name].basis[day] = PRICED
        if unpriced:
            found[name].unpriced[day] = unpriced
    return found


def _priced_usage(names: list[str], since: date, until: date) -> dict[tuple[str, date], tuple[Decimal, int]]:
    """(workspace, UTC day) -> (priced cost, rows with no price), from the widest bucket width
    imported for that day."""
    start = datetime.combine(since, time.min, timezone.utc)
    end = datetime.combine(until + timedelta(days=1), time.min, timezone.utc)
    rows = (
        UsageAggregate.objects.filter(workspace__in=names, start__gte=start, start__lt=end)
        .annotate(utc_day=TruncDate("start", tzinfo=timezone.utc))
        .values("workspace", "utc_day", "width")
        .annotate(priced=Sum("cost"), no_price=Count("key", filter=Q(cost__isnull=True)))
        .values_list("workspace", "utc_day", "width", "priced", "no_price")
        .order_by()
    )
    by_width: dict[tuple[str, date], dict[str, tuple[Decimal, int]]] = {}
    for name, day, width, cost, unpriced in rows:
        by_width.setdefault((name, day), {})[width] = (cost or ZERO, unpriced)
    return {
        key: widths[widest(widths)]
        for key, widths in by_width.items()
    }


def known_workspaces() -> list[str]:
    """Every workspace named by a usage or cost report, sorted (for choosing one to limit)."""
    usage = UsageAggregate.objects.exclude(workspace="").values_list("workspace", flat=True).distinct()
    billed = BilledCost.objects.exclude(workspace="").values_list("workspace", flat=True).distinct()
    return sorted(set(usage.order_by()) | set(billed.order_by()))
