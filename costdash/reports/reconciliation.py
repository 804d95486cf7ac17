"""What Anthropic billed for a month beside what we priced from its usage report, per workspace and
model, and the difference: what billing explains when closing the month.

- *Billed*: the imported cost report (BilledCost), summed per (workspace, model) over the month's
  UTC days (Anthropic's days). Lines that name no model (a web-search or code-execution fee, say)
  stand on a row of their own with model "".
- *Priced*: the imported usage report (UsageAggregate of source anthropic_usage: the Admin API's
  usage_report/messages or the Console usage CSV), its ``cost`` column (our rate table's price of
  its tokens), summed the same way. When a day was imported at several bucket widths, only the
  widest is read (as rollups.selectors.limits does), so it is not counted twice. A usage row with no
  known price adds nothing and is counted in ``unpriced_rows``: unknown, not $0.
- *Difference*: billed − priced (a missing side counts as $0: billed with no usage seen, or usage
  not billed). None when the priced side is unknown (its only rows are unpriced).

These are the org's whole API usage by workspace, not the developer figures: those are by
org-local day and count each request once across every source.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from costdash.ingest.models import BilledCost, Source, UsageAggregate
from costdash.lib.money import ZERO
from costdash.rollups.selectors.limits import widest

DEFAULT_WORKSPACE = "Default workspace"  # the API names it with no id: it cannot be told apart


@dataclass(frozen=True)
class Reconciliation:
    """``rows``: [{workspace, model, billed, priced, difference, unpriced_rows}] by workspace then
    model (billed/priced None when that side has no rows). ``workspaces``: the same keys (no model)
    per workspace. ``totals``: billed, priced, difference, unpriced_rows over every row.
    ``billed_imported``/``usage_imported``: whether any cost / usage report row fell in the month."""

    since: date
    until: date
    billed_imported: bool
    usage_imported: bool
    rows: list[dict]
    workspaces: list[dict]
    totals: dict

    @property
    def available(self) -> bool:
        """There is something to reconcile: a cost report for the month was imported."""
        return self.billed_imported


def reconciliation(since: date, until: date) -> Reconciliation:
    """Billed vs priced over the UTC days ``since``..``until`` (inclusive). Two grouped queries."""
    billed = _billed(since, until)
    priced = _priced(since, until)
    rows = [
        _row({"workspace": workspace, "model": model}, billed.get((workspace, model)), *priced.get(
            (workspace, model), (None, 0)))
        for workspace, model in sorted(set(billed) | set(priced), key=lambda k: (k[0].lower(), k[0], k[1]))
    ]
    by_workspace: dict[str, list[dict]] = {}
    for row in rows:
        by_workspace.setdefault(row["workspace"], []).append(row)
    return Reconciliation(
        since=since, until=until, billed_imported=bool(billed), usage_imported=bool(priced), rows=rows,
        workspaces=[_total({"workspace": name}, found) for name, found in by_workspace.items()],
        totals=_total({}, rows),
    )


def workspace_label(workspace: str) -> str:
    return workspace or DEFAULT_WORKSPACE


def _row(row: dict, billed: Decimal | None, priced: Decimal | None, unpriced_rows: int) -> dict:
    unknown = priced is None and unpriced_rows > 0
    difference = None if unknown else (billed or ZERO) - (priced or ZERO)
    return row | {"billed": billed, "priced": priced, "difference": difference, "unpriced_rows": unpriced_rows}


def _total(row: dict, rows: list[dict]) -> dict:
    def add(key: str) -> Decimal | None:
        found = [r[key] for r in rows if r[key] is not None]
        return sum(found, ZERO) if found else None

    total = _row(row, add("billed"), add("priced"), sum(r["unpriced_rows"] for r in rows))
    # The difference column adds up: a row whose priced side is unknown (unpriced usage) has no
    # difference, so its billed amount is not in the total difference either.
    return total | {"difference": add("difference") if rows else total["difference"]}


def _billed(since: date, until: date) -> dict[tuple[str, str], Decimal]:
    grouped = (
        BilledCost.objects.filter(day__gte=since, day__lte=until)
        .values("workspace", "model").annotate(amount=Sum("amount"))
        .values_list("workspace", "model", "amount").order_by()
    )
    return {(workspace, model): amount for workspace, model, amount in grouped}


def _priced(since: date, until: date) -> dict[tuple[str, str], tuple[Decimal | None, int]]:
    """(workspace, model) -> (priced cost or None when nothing was priced, unpriced rows), reading
    each (workspace, UTC day) at its widest imported bucket width."""
    start = datetime.combine(since, time.min, timezone.utc)
    end = datetime.combine(until + timedelta(days=1), time.min, timezone.utc)
    grouped = (
        UsageAggregate.objects.filter(source=Source.ANTHROPIC_USAGE, start__gte=start, start__lt=end)
        .annotate(utc_day=TruncDate("start", tzinfo=timezone.utc))
        .values("workspace", "model", "utc_day", "width")
        .annotate(priced=Sum("cost"), no_price=Count("key", filter=Q(cost__isnull=True)))
        .values_list("workspace", "model", "utc_day", "width", "priced", "no_price")
        .order_by()
    )
    rows = list(grouped)
    widths: dict[tuple[str, date], set[str]] = {}
    for workspace, _, day, width, _, _ in rows:
        widths.setdefault((workspace, day), set()).add(width)
    read_at = {key: widest(found) for key, found in widths.items()}
    out: dict[tuple[str, str], tuple[Decimal | None, int]] = {}
    for workspace, model, day, width, cost, no_price in rows:
        if width != read_at[(workspace, day)]:
            continue
        total, unpriced = out.get((workspace, model), (None, 0))
        if cost is not None:
            total = (total or ZERO) + cost
        out[(workspace, model)] = (total, unpriced + no_price)
    return out
