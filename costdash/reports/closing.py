"""Closing a month: billing or an admin closes a past, final month; its report, files and API answer
then come from the snapshot taken at close (MonthClose), whatever is imported or repriced afterwards.

- ``month_close``: checks the month is over and final, then records the snapshot (the whole
  MonthlyReport, its daily lines, the rate table in force and the source precedence, who and when) and
  asks for its files (XLSX and PDF, built on the worker from the snapshot). ``month_reopen`` ends the
  close (kept, with who reopened it); both are logged as MonthCloseEvent rows.
- ``changes_since_close``: live − snapshot of a closed month (spend, and per developer, team, cost
  center and model, only the lines that moved). Only computed when the month's DailyCost figures
  differ from the ones closed (rows_fingerprint): one query otherwise.
- ``adjustments_into``: what the next open month carries for the closed months just before it: each
  one's change since close less what closed months' snapshots already carried for it, so a change is
  booked once (and a re-close after a carried change books its reversal).
- ``figures_fingerprint``: what a file of the month is built from; a file whose fingerprint differs
  from the month's current one is out of date.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from costdash.accounts import roles
from costdash.lib.money import ZERO
from costdash.limits.selectors import month_bounds, org_today
from costdash.pricing.models import ModelPrice
from costdash.rollups.dedupe import ACTIVITY_PRECEDENCE, AGGREGATE_PRECEDENCE, PRECEDENCE

from .models import MonthClose, MonthCloseEvent, MonthCloseLine
from .snapshot import combined, decode, encode, encode_fields, rows_fingerprint

# (dimension, the row's key, the row's name) compared between the snapshot and the live report.
DIMENSIONS = (("developers", "developer_id", "developer"), ("teams", "team", "team"),
              ("cost_centers", "cost_center", "cost_center"), ("models", "model", "model"))
CLOSE_FORMATS = ("xlsx", "pdf")  # the files made at close
LINE_BATCH = 2000
PRICE_FIELDS = ("model", "speed", "min_input_tokens", "effective_from", "effective_until", "input", "cache_write_5m",
                "cache_write_1h", "cache_read", "output", "us_multiplier", "confidence", "note", "from_rate_file")


class ClosingError(Exception):
    """A close or reopen that cannot be done, and why (shown to the user as is)."""


def active_closes() -> dict[date, MonthClose]:
    """month -> its active close (without the snapshot's JSON, read only when needed)."""
    found = MonthClose.objects.filter(reopened_at__isnull=True).defer("report", "rates").select_related("closed_by")
    return {close.month: close for close in found}


def active_close(month: date) -> MonthClose | None:
    return MonthClose.objects.filter(month=month.replace(day=1), reopened_at__isnull=True).select_related(
        "closed_by").first()


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def closed_info(close: MonthClose) -> dict:
    return {"close_id": close.pk, "closed_by": close.closed_by.get_username() if close.closed_by else None,
            "closed_at": close.closed_at, "note": close.note}


def report_from_close(close: MonthClose):
    """The closed month's MonthlyReport, rebuilt from its snapshot (final, ``closed`` set)."""
    from .selectors import MonthlyReport
    from .snapshot import decode_fields

    return decode_fields(MonthlyReport, close.report, provisional_reasons=(), closed=closed_info(close))


def close_lines(close: MonthClose):
    """The closed month's daily lines, in order, streamed."""
    for line in MonthCloseLine.objects.filter(close=close).values_list("line", flat=True).iterator(LINE_BATCH):
        yield decode(line)


def adjusting_run(month: date, closes: dict[date, MonthClose]) -> list[MonthClose]:
    """The closed months just before ``month`` (none open between), oldest first: ``month`` is the
    next open month of each, so its report carries their changes."""
    run, at = [], previous_month(month)
    while at in closes:
        run.append(closes[at])
        at = previous_month(at)
    return run[::-1]


def figures_fingerprint(month: date, closes: dict[date, MonthClose] | None = None) -> str:
    """What a file of ``month`` built now is built from: a closed month's snapshot (its fingerprint,
    which never changes); an open month's DailyCost figures and those of the closed months whose
    changes it carries as adjustments."""
    closes = active_closes() if closes is None else closes
    month = month.replace(day=1)
    if month in closes:
        return closes[month].fingerprint
    parts = [rows_fingerprint(month)]
    for close in adjusting_run(month, closes):  # a closed month unchanged since close adjusts nothing
        now = rows_fingerprint(close.month)
        if now != close.rows_fingerprint:
            parts.append(f"{close.pk}:{now}")
    return parts[0] if len(parts) == 1 else combined(*parts)


def _breakdown(before, after) -> dict[str, list[dict]]:
    """Per DIMENSIONS: {key, name, at_close, now, change} of each line whose spend moved, largest first."""
    out = {}
    for dimension, key, name in DIMENSIONS:
        old = {row[key]: row for row in getattr(before, dimension)}
        new = {row[key]: row for row in getattr(after, dimension)}
        lines = []
        for found in old.keys() | new.keys():
            was, now = (old.get(found) or {}).get("spend") or ZERO, (new.get(found) or {}).get("spend") or ZERO
            if now != was:
                row = new.get(found) or old[found]
                lines.append({"key": str(found), "name": row[name], "at_close": was, "now": now, "change": now - was})
        out[dimension] = sorted(lines, key=lambda line: (-abs(line["change"]), str(line["name"]).lower()))
    return out


def changes_since_close(close: MonthClose) -> dict:
    """The closed month's live figures against its snapshot: {month, close_id, closed_by, closed_at,
    at_close, now, amount (now − at_close), changed, recomputing (the live figures still wait for a
    recompute), breakdown: {developers, teams, cost_centers, models: [lines]}}. One query when the
    month's figures are the ones closed; otherwise the live report is computed."""
    from .selectors import monthly_report_live

    snapshot = report_from_close(close)  # a deferred snapshot is read here (one query)
    out = closed_info(close) | {"month": close.month, "at_close": snapshot.totals["spend"],
                                "now": snapshot.totals["spend"], "amount": ZERO, "changed": False,
                                "recomputing": False, "breakdown": {name: [] for name, _, _ in DIMENSIONS}}
    if rows_fingerprint(close.month) == close.rows_fingerprint:
        return out
    live = monthly_report_live(close.month)
    breakdown = _breakdown(snapshot, live)
    amount = live.totals["spend"] - snapshot.totals["spend"]
    return out | {"now": live.totals["spend"], "amount": amount, "breakdown": breakdown,
                  "changed": bool(amount or any(breakdown.values())),
                  "recomputing": "recomputing" in live.provisional_reasons}


def closed_months_changed() -> list[dict]:
    """changes_since_close of every closed month that changed, oldest first (the billing e-mail)."""
    changes = [changes_since_close(close) for _, close in sorted(active_closes().items())]
    return [change for change in changes if change["changed"]]


def _carried(month: date) -> dict:
    """What the active closes' snapshots already carried for ``month``: {amount, (dimension, key): change}."""
    carried: dict = {"amount": ZERO}
    rows = MonthClose.objects.filter(reopened_at__isnull=True, month__gt=month).values_list(
        "report__adjustments", flat=True)
    for adjustments in rows:
        for adjustment in decode(adjustments or []):
            if adjustment["month"] != month:
                continue
            carried["amount"] += adjustment["amount"]
            for dimension, lines in adjustment["breakdown"].items():
                for line in lines:
                    carried[dimension, line["key"]] = carried.get((dimension, line["key"]), ZERO) + line["change"]
    return carried


def adjustments_into(month: date, closes: dict[date, MonthClose] | None = None) -> list[dict]:
    """The "Adjustments to closed months" of open ``month``: per closed month just before it that
    changed, {month, closed_at, closed_by, amount, breakdown: {dimension: [{key, name, change}]}},
    its change since close less what closed snapshots already carried for it (non-zero lines only)."""
    closes = active_closes() if closes is None else closes
    out = []
    for close in adjusting_run(month.replace(day=1), closes):
        change, carried = changes_since_close(close), _carried(close.month)
        breakdown = {}
        for dimension, lines in change["breakdown"].items():
            net = {line["key"]: {"key": line["key"], "name": line["name"], "change": line["change"]} for line in lines}
            for (dim, key), amount in ((k, v) for k, v in carried.items() if k != "amount"):
                if dim == dimension:
                    net.setdefault(key, {"key": key, "name": key, "change": ZERO})["change"] -= amount
            breakdown[dimension] = [line for line in net.values() if line["change"]]
        amount = change["amount"] - carried["amount"]
        if amount or any(breakdown.values()):
            out.append({"month": close.month, "closed_at": close.closed_at, "closed_by": change["closed_by"],
                        "amount": amount, "breakdown": breakdown})
    return out


def rates_in_force(month: date) -> list[dict]:
    """The ModelPrice rows any of the month's days may have used (UTC days: a day each side), as text."""
    since, until = month_bounds(month)
    rows = ModelPrice.objects.filter(
        Q(effective_from__isnull=True) | Q(effective_from__lte=until + timedelta(days=1)),
        Q(effective_until__isnull=True) | Q(effective_until__gt=since - timedelta(days=1)),
    ).values(*PRICE_FIELDS)
    return [{key: str(value) if isinstance(value, (Decimal, date)) else value for key, value in row.items()}
            for row in rows]


def precedence_in_force() -> dict[str, list[str]]:
    return {"per_request": list(PRECEDENCE), "aggregates": list(AGGREGATE_PRECEDENCE),
            "activity": list(ACTIVITY_PRECEDENCE)}


def _check_closable(month: date, user) -> None:
    if not roles.sees_all_spend(user):
        raise PermissionDenied("Only billing and admins close or reopen a month.")
    if month_bounds(month)[1] >= org_today():
        raise ClosingError(f"{month:%B %Y} is not over yet: only a past month can be closed.")
    close = active_close(month)
    if close is not None:
        info = closed_info(close)
        raise ClosingError(f"{month:%B %Y} is already closed (by {info['closed_by'] or 'a deleted user'} on "
                           f"{close.closed_at:%Y-%m-%d %H:%M} UTC). Reopen it first to close it again.")


def month_close(month: date, user, note: str = "") -> MonthClose:
    """Close ``month`` (any day of it) as ``user`` (billing or admin, else PermissionDenied). A month
    not over, provisional (days waiting for a recompute), already closed, or whose figures changed
    while it was being closed is a ClosingError (nothing recorded). Queues the files made at close."""
    from .selectors import monthly_daily_lines_live, monthly_report_live
    from .services import report_request
    from .tasks import report_build_soon

    month = month.replace(day=1)
    _check_closable(month, user)
    before = rows_fingerprint(month)
    closes = active_closes()
    report = monthly_report_live(month)
    report = replace(report, adjustments=adjustments_into(month, closes))
    if report.provisional:
        raise ClosingError(f"{month:%B %Y} is provisional (some of its days are waiting to be recomputed): "
                           "close it once they are.")
    try:
        with transaction.atomic():
            close = MonthClose.objects.create(
                month=month, closed_by=user, closed_at=timezone.now(), note=note,
                report=encode_fields(report, skip=("closed",)), rates=rates_in_force(month),
                precedence=precedence_in_force(), rows_fingerprint=before,
                fingerprint=figures_fingerprint(month, closes))
            close.lines = _keep_lines(close, _with_dimensions(month, monthly_daily_lines_live(month)))
            if rows_fingerprint(month) != before:  # an import or recompute landed while we read
                raise ClosingError(f"{month:%B %Y}'s figures changed while it was being closed: try again.")
            close.save(update_fields=["lines"])
            MonthCloseEvent.objects.create(month=month, action=MonthCloseEvent.Action.CLOSE, close=close, user=user,
                                           note=note)
            for fmt in CLOSE_FORMATS:
                file = report_request(month, fmt, requested_by=user)
                file.month_close = close
                file.save(update_fields=["month_close"])
                report_build_soon(file.pk)
    except IntegrityError:  # another close of the month won the race
        raise ClosingError(f"{month:%B %Y} was closed by someone else at the same time.") from None
    return close


def _with_dimensions(month: date, lines):
    """The lines, each with its chargeback dimensions as they are at close (rules included), so a
    closed month's FOCUS tags do not follow later rule changes."""
    from .exporters.focus import dimensions_of_lines
    from .selectors import month_scope

    lookup = dimensions_of_lines(month_scope(month))
    for line in lines:
        yield {**line, "dimensions": lookup(line)}


def _keep_lines(close: MonthClose, lines) -> int:
    batch, count = [], 0
    for count, line in enumerate(lines, start=1):
        batch.append(MonthCloseLine(close=close, position=count, line=encode(line)))
        if len(batch) >= LINE_BATCH:
            MonthCloseLine.objects.bulk_create(batch)
            batch = []
    MonthCloseLine.objects.bulk_create(batch)
    return count


@transaction.atomic
def month_reopen(month: date, user, note: str = "") -> MonthClose:
    """Reopen closed ``month`` as ``user`` (billing or admin): its report is live again. The close is
    kept (reopened_by, reopened_at) and the reopening logged. Not closed: a ClosingError."""
    if not roles.sees_all_spend(user):
        raise PermissionDenied("Only billing and admins close or reopen a month.")
    month = month.replace(day=1)
    close = MonthClose.objects.select_for_update().filter(month=month, reopened_at__isnull=True).first()
    if close is None:
        raise ClosingError(f"{month:%B %Y} is not closed: there is nothing to reopen.")
    close.reopened_by, close.reopened_at = user, timezone.now()
    close.save(update_fields=["reopened_by", "reopened_at"])
    MonthCloseEvent.objects.create(month=month, action=MonthCloseEvent.Action.REOPEN, close=close, user=user,
                                   note=note)
    return close


def month_events(month: date) -> list[MonthCloseEvent]:
    return list(MonthCloseEvent.objects.filter(month=month.replace(day=1)).select_related("user"))
