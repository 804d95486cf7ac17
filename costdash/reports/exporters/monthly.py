"""The monthly report as sheets: summary, developers, teams, cost centers, models, sources,
reconciliation and the daily lines (selectors.monthly_report / monthly_daily_lines).

In files, the daily lines' costs are apportioned to the cent against the month's total (cents.py)
and the summary, developers, teams, cost centers, models and sources are sums of those rounded
lines (each declares its Pivot); reconciliation is apportioned within its own totals. The page shows
the same sheets with exact figures (``sheets()``).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from costdash.dashboard.charts.overview import daily_spend_by_model_figure, top_spenders_figure
from costdash.dashboard.charts.reports import spend_by_team_figure
from costdash.lib.money import ZERO, to_cents, usd

from ..reconciliation import Reconciliation, workspace_label
from ..selectors import NO_COST_CENTER, NO_TEAM, OPEN, MonthlyReport, monthly_daily_lines
from .base import DATA, DATE, INT, MONEY, RATIO, Chart, Column, Exporter, Sheet
from .cents import LINES, CentLedger, OwnTotal, Pivot, by, everything
from .chargeback import chargeback_sheets
from .columns import PER_DAY, REQUESTS, TOKEN_COLUMNS, with_tokens

TOP_DEVELOPERS = 10
ADJUSTED_BY = {"developers": "developer", "teams": "team", "cost_centers": "cost center", "models": "model"}
ROUNDING_NOTE = ("Amounts are apportioned to the cent (largest remainder): each daily line's cost is rounded so "
                 "the lines add up to the month's total rounded, and every table is the sum of those lines, so "
                 "each adds up to its total. Averages, P90s and shares are rounded on their own. The Reports "
                 "page and the API show exact figures.")


def pricing_status(model: dict) -> str:
    if model["spend"] is None:
        return "unpriced"
    if model["unpriced_requests"]:
        return f"{model['unpriced_requests']:,} requests unpriced"
    return "priced"


class MonthlyExporter(Exporter):
    """One month's report. ``sheets()`` reads the daily lines from the database as it goes."""

    def __init__(self, report: MonthlyReport):
        totals = report.totals
        super().__init__(
            kind="monthly",
            title=f"costdash monthly report: {report.month:%B %Y}",
            subtitle=(f"{report.month:%B} 1 – {report.until:%B} {report.until.day}, {report.until.year}, "
                      f"days in {report.time_zone}. Every developer's usage, each request counted once."),
            banner=_banner(report),
            provisional=report.provisional,
            summary=_summary(report),
            charts=_charts(report) if totals["active_days"] else [],
        )
        self.report = report
        self._ledger: CentLedger | None = None

    def sheet_keys(self) -> list[str]:
        return [sheet.key for sheet in self.sheets() if sheet.key != "summary"]

    def daily_lines(self) -> Iterator[dict]:
        """The month's daily lines, exact (selectors.monthly_daily_lines), in their written order."""
        return monthly_daily_lines(self.report.month)

    def ledger(self) -> CentLedger:
        """The daily lines apportioned against the month's total: read once per exporter."""
        if self._ledger is None:
            self._ledger = CentLedger(self.daily_lines(), amount="cost")
        return self._ledger

    def file_summary(self) -> list[tuple[str, str]]:
        """The page's summary, with billed − priced as the reconciliation sheet's rounded figures give it,
        and the rounding rule said."""
        difference = _rounded_difference(self.report.reconciliation)
        lines = [(label, usd(difference) if label == "Billed − priced" else text) for label, text in self.summary]
        return lines + [("Rounding", ROUNDING_NOTE)]

    def sheets(self) -> list[Sheet]:
        r = self.report
        total = {"label": "Total"}
        return [
            self._summary_sheet(),
            Sheet("developers", "Developers", (
                Column("developer", "Developer", width=24), Column("email", "E-mail", where=DATA, width=28),
                Column("team", "Team", width=16), Column("cost_center", "Cost center", width=14),
                *PER_DAY[:1], *REQUESTS, *TOKEN_COLUMNS, Column("spend", "Spend", MONEY), *PER_DAY[1:],
                Column("cache_hit_rate", "Cache hit rate", RATIO), Column("main_model", "Main model", width=22),
            ), [with_tokens(row) for row in r.developers], with_tokens(r.totals | {"developer": "Total"}),
                cents=Pivot(by("email"), by("email"))),
            Sheet("teams", "Teams", (
                Column("team", "Team", width=20), Column("cost_center", "Cost center", width=16),
                Column("developers", "Developers", INT), *PER_DAY[:1], *REQUESTS, *TOKEN_COLUMNS,
                Column("spend", "Spend", MONEY), Column("share", "Share of spend", RATIO), *PER_DAY[1:],
            ), [with_tokens(row) for row in r.teams], with_tokens(self._group_total("team")),
                note="For chargeback: each developer's spend charged to their team.",
                cents=Pivot(by("team", NO_TEAM), by("team"))),
            Sheet("cost_centers", "Cost centers", (
                Column("cost_center", "Cost center", width=18), Column("teams", "Teams", width=22),
                Column("developers", "Developers", INT), *PER_DAY[:1], *REQUESTS, *TOKEN_COLUMNS,
                Column("spend", "Spend", MONEY), Column("share", "Share of spend", RATIO), *PER_DAY[1:],
            ), [with_tokens(row) for row in r.cost_centers], with_tokens(self._group_total("cost_center")),
                note="For chargeback: each team's spend charged to its cost center.",
                cents=Pivot(by("cost_center", NO_COST_CENTER), by("cost_center"))),
            Sheet("models", "Models", (
                Column("model", "Model", width=26), Column("pricing", "Pricing", width=16), *REQUESTS,
                *TOKEN_COLUMNS, Column("spend", "Spend", MONEY, none_text="unpriced"),
                Column("share", "Share of spend", RATIO), Column("cache_hit_rate", "Cache hit rate", RATIO),
            ), [with_tokens(m | {"pricing": pricing_status(m)}) for m in r.models],
                with_tokens(r.totals | {"model": "Total"}),
                note="Requests with no known price are counted but not priced: unknown, never $0.",
                cents=Pivot(by("model"), by("model"))),
            Sheet("sources", "Sources", (
                Column("label", "Source", width=40), Column("source", "Source id", where=DATA, width=20),
                Column("developer_days", "Developer-days", INT), Column("requests", "Requests", INT),
                Column("spend", "Spend", MONEY),
            ), r.sources, total | {"spend": r.totals["spend"], "requests": r.totals["requests"]},
                note="Where the figures were counted from: each request once, from its most trusted source.",
                cents=Pivot(by("source"), by("source"))),
            *chargeback_sheets(r.chargeback, r.totals["spend"], r.cost_centers),
            *self._adjustments_sheets(),
            self._reconciliation_sheet(),
            Sheet("daily", "Daily lines", (
                Column("developer", "Developer", width=24), Column("email", "E-mail", width=28),
                Column("team", "Team", width=16), Column("cost_center", "Cost center", width=14),
                Column("day", "Day", DATE), Column("model", "Model", width=26), Column("source", "Source", width=18),
                *REQUESTS, *TOKEN_COLUMNS[:-1], Column("cost", "Cost", MONEY),
            ), self.daily_lines(), None, in_pdf=False, cents=LINES,
                note="One line per developer, day, model and source (DailyCost). " + ROUNDING_NOTE),
        ]

    def _adjustments_sheets(self) -> list[Sheet]:
        """"Adjustments to closed months" (closing.adjustments_into): one line per closed month whose
        figures changed since close, carried here; none when there are none."""
        adjustments = self.report.adjustments
        if not adjustments:
            return []
        rows = [{"closed_month": f"{a['month']:%B %Y}", "amount": a["amount"],
                 **{key: ", ".join(f"{line['name']} {'+' if line['change'] > 0 else ''}{usd(line['change'])}"
                                   for line in a["breakdown"].get(key, [])) for key in ADJUSTED_BY}}
                for a in adjustments]
        total = {"closed_month": "Total", "amount": sum((a["amount"] for a in adjustments), ZERO)}
        return [Sheet("adjustments", "Adjustments to closed months", (
            Column("closed_month", "Closed month", width=16), Column("amount", "Adjustment", MONEY),
            *(Column(key, f"By {label}", width=30) for key, label in ADJUSTED_BY.items()),
        ), rows, total, cents=OwnTotal(("amount",)),
            note="Changes to months already closed, since they were closed (imports, prices): charged here, not "
                 "in this month's own spend.")]

    def _group_total(self, key: str) -> dict:
        r = self.report
        other = "cost_center" if key == "team" else "teams"  # no total of its own: left blank
        share = Decimal(1) if r.totals["spend"] else None
        return r.totals | {key: "Total", other: None, "developers": len(r.developers), "share": share}

    def _summary_sheet(self) -> Sheet:
        r, rec = self.report, self.report.reconciliation
        row = r.totals | {
            "month": r.month, "status": "provisional" if r.provisional else "final", "time_zone": r.time_zone,
            "billed": rec.totals["billed"], "priced": rec.totals["priced"],
            # As the reconciliation sheet's totals give it in files: rounded billed − rounded priced.
            "difference": _rounded_difference(rec) if rec.available else None,
        }
        return Sheet("summary", "Summary", (
            Column("month", "Month", DATE), Column("status", "Status"), Column("time_zone", "Time zone", width=18),
            Column("spend", "Spend", MONEY), Column("developers", "Developers with usage", INT),
            *PER_DAY, *REQUESTS, *TOKEN_COLUMNS[:-1], Column("cache_hit_rate", "Cache hit rate", RATIO),
            Column("billed", "Billed by Anthropic", MONEY), Column("priced", "Usage report priced by us", MONEY),
            Column("difference", "Billed − priced", MONEY),
        ), [row], None, in_pdf=False, note=ROUNDING_NOTE, cents=Pivot(everything, everything))

    def _reconciliation_sheet(self) -> Sheet:
        rec = self.report.reconciliation
        note = (f"Anthropic's cost report vs its usage report priced by our rate table, by UTC day "
                f"({rec.since:%b} {rec.since.day} – {rec.until:%b} {rec.until.day}).")
        if not rec.billed_imported:
            note = (f"No Anthropic cost report was imported for {self.report.month:%B %Y}: nothing to reconcile. "
                    "Pull it with the Admin API (Connectors) or import the Console cost CSV.")
        rows = [row | {"workspace": workspace_label(row["workspace"]), "model": row["model"] or "(no model)"}
                for row in rec.rows] if rec.billed_imported else []
        return Sheet("reconciliation", "Reconciliation", (
            Column("workspace", "Workspace", width=26), Column("model", "Model", width=26),
            Column("billed", "Billed", MONEY, none_text="not billed"),
            Column("priced", "Priced by us", MONEY, none_text="no usage"),
            Column("difference", "Difference", MONEY, none_text="unknown"),
            Column("unpriced_rows", "Unpriced usage rows", INT),
        ), rows, rec.totals | {"workspace": "Total"} if rows else None, note=note,
            empty_text="",  # the note says why
            cents=OwnTotal(("billed", "priced"), then=_difference_of_cents))


def _difference_of_cents(row: dict) -> dict:
    """A reconciliation row (or its totals) with billed − priced from its rounded sides: a missing
    side counts as $0; an unknown difference (priced unknown) stays unknown."""
    if row.get("difference") is None:
        return row
    return row | {"difference": (row["billed"] or ZERO) - (row["priced"] or ZERO)}


def _rounded_difference(rec: Reconciliation) -> Decimal | None:
    """Billed − priced over the month, from each side rounded to the cent (as the files' tables)."""
    if rec.totals.get("difference") is None:
        return None
    billed, priced = (rec.totals[side] for side in ("billed", "priced"))
    return (to_cents(billed) if billed is not None else ZERO) - (to_cents(priced) if priced is not None else ZERO)


def apportioned_daily_lines(month: date) -> Iterator[dict]:
    """The month's daily lines (selectors.monthly_daily_lines' keys) as the files write them: ``cost``
    apportioned to the cent (largest remainder against the month's total, ties in the lines' order)
    and ``exact_cost`` the recorded cost. For any other export of the month (FOCUS), so its figures
    equal the workbook's line for line. Streamed: the lines are spooled to a temporary file."""
    return CentLedger(monthly_daily_lines(month), amount="cost").lines()


def _banner(report: MonthlyReport) -> str:
    if not report.provisional:
        return ""
    why = []
    if OPEN in report.provisional_reasons:
        why.append(f"the month is not over (today is {report.today:%b} {report.today.day} in {report.time_zone})")
    if len(why) < len(report.provisional_reasons):
        why.append("some of its days are waiting to be recomputed")
    return "Provisional: " + " and ".join(why) + ". These figures may still change."


def _summary(report: MonthlyReport) -> list[tuple[str, str]]:
    t, rec = report.totals, report.reconciliation
    lines = [
        ("Spend", usd(t["spend"])),
        ("Developers with usage", f"{t['developers']:,}"),
        ("Active developer-days", f"{t['active_days']:,}"),
        ("Average per active day", f"{usd(t['average_per_active_day'])} (reference {usd(report.average)})"),
        ("Team P90 per active day", usd(t["p90"])),
        (f"Developer-days over {usd(report.ceiling)}", f"{t['days_over_ceiling']:,}"),
        ("Requests", f"{t['requests']:,}" + (f" ({t['unpriced_requests']:,} with no known price, not in spend)"
                                            if t["unpriced_requests"] else "")),
    ]
    lines += _split_lines(report.cache_splits)
    if report.adjustments:  # closing.adjustments_into: not in the month's spend above
        lines.append(("Adjustments to closed months", ", ".join(
            f"{a['month']:%B %Y} {'+' if a['amount'] > 0 else ''}{usd(a['amount'])}" for a in report.adjustments)))
    if rec.available:
        lines += [("Billed by Anthropic", usd(rec.totals["billed"])),
                  ("Usage report priced by us", usd(rec.totals["priced"])),
                  ("Billed − priced", usd(rec.totals["difference"]))]
    else:
        lines.append(("Billed by Anthropic", "no cost report imported for this month"))
    return lines


def _split_lines(splits: dict) -> list[tuple[str, str]]:
    """What rests on cache-write splits recovered from a daily source's own cost, or assumed by
    its rule (approximate); nothing when the month has none."""
    lines = []
    for method, label in (("recovered", "Cache-write split recovered"),
                          ("assumed", "Cache-write split assumed (approximate)")):
        part = splits.get(method) or {}
        if part.get("rows"):
            share = f", {part['share']:.1%} of spend" if part["share"] is not None else ""
            lines.append((label, f"{usd(part['cost'])}{share}, on {part['developer_days']:,} developer-day"
                                 f"{'s' if part['developer_days'] != 1 else ''}"))
    return lines


def _charts(report: MonthlyReport) -> list[Chart]:
    charts = []
    if report.by_day_model:
        charts.append(Chart("Daily spend by model", daily_spend_by_model_figure(report.by_day_model)))
    if any(team["spend"] > 0 for team in report.teams):
        charts.append(Chart("Spend by team", spend_by_team_figure(report.teams), height=340))
    top = [row for row in report.developers if row["spend"] > 0][:TOP_DEVELOPERS]
    if top:
        figure = top_spenders_figure(top)
        charts.append(Chart(f"Top {len(top)} developers by spend", figure, height=figure["layout"]["height"]))
    return charts

