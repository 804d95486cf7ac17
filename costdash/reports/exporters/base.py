"""What every report exporter shares: its content as typed sheets, and how a cell reads as text.

An exporter (one class per report, exporters/__init__.EXPORTERS) says *what* is in a report: a
title, a provisional banner, sheets (one per breakdown: typed columns, rows that may be a generator,
a totals row), summary figures and charts. The formats (formats/: CSV, XLSX, PDF) say *how* it is
written; every format reads any exporter through this interface, so a report is one module and a
format is one module.

Money is Decimal USD until a format writes it: CSV and XLSX as cents, the PDF as $1,234.57. The
page reads ``sheets()`` (exact figures, shown rounded half up, the dashboard's rounding); the files
read ``file_sheets()``, where each sheet's sums are apportioned to the cent by its ``cents`` rule
(cents.py) so every table adds up to its total. None is "unknown" (an unpriced model, a P90 without
an active day), never $0: an empty cell, or the column's ``none_text`` where people read it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from costdash.lib.money import to_cents, usd

from .cents import CentLedger, Lines, OwnTotal, Pivot, apportioned

TEXT, INT, MONEY, RATIO, DATE = "text", "int", "money", "ratio", "date"
DATA, PRINT = "data", "print"
# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
RATIO_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = TEXT
    none_text: str = "—"  # what people read for None (PDF and page); CSV and XLSX leave the cell empty
    width: int = 12  # characters, for XLSX column widths
    where: str = "all"  # "all", DATA (CSV and XLSX only: too detailed to print) or PRINT (PDF only)


@dataclass
class Sheet:
    """One breakdown. ``rows``: dicts keyed by the columns' keys (a generator for large ones).
    ``totals``: the totals row (same keys), written last; None for none. ``in_pdf``: False for
    breakdowns too long to print (the daily lines). ``note``: a line said above the table.
    ``cents``: how files round its money so it adds up (cents.Pivot of the daily lines, OwnTotal,
    cents.LINES for the lines themselves; None: nothing to add up)."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: Iterable[dict]
    totals: dict | None = None
    note: str = ""
    in_pdf: bool = True
    empty_text: str = "Nothing this month."
    cents: Pivot | OwnTotal | Lines | None = None


@dataclass
class Chart:
    title: str
    figure: dict
    width: int = 900
    height: int = 380


@dataclass
class Exporter:
    """A report to export. Subclasses fill the fields from their selector (see monthly.py)."""

    kind: str
    title: str  # "costdash monthly report: March 2026"
    subtitle: str  # what it covers, in words
    banner: str  # "" when final; otherwise why the figures may still change
    provisional: bool = False  # the figures may still change (``banner`` says why)
    summary: list[tuple[str, str]] = field(default_factory=list)  # (label, text) for people
    charts: list[Chart] = field(default_factory=list)

    def sheets(self) -> list[Sheet]:
        """Every breakdown, in order. Called once per rendering: rows may be generators."""
        raise NotImplementedError

    def sheet(self, key: str) -> Sheet:
        for found in self.sheets():
            if found.key == key:
                return found
        raise KeyError(key)

    def sheet_keys(self) -> list[str]:
        """The breakdowns one can export alone (CSV), first the default."""
        raise NotImplementedError

    def ledger(self) -> CentLedger:
        """The report's finest lines apportioned to the cent (read when a file sheet needs them)."""
        raise NotImplementedError

    def file_sheets(self) -> list[Sheet]:
        """Every breakdown as files write it: ``sheets()`` with each sheet's ``cents`` rule applied, so
        each table adds up to its total to the cent and the pivots of the lines equal their sheets."""
        sheets = self.sheets()
        needs_lines = any(isinstance(found.cents, Pivot | Lines) for found in sheets)
        return apportioned(sheets, self.ledger() if needs_lines else None)

    def file_sheet(self, key: str) -> Sheet:
        for found in self.file_sheets():
            if found.key == key:
                return found
        raise KeyError(key)

    def file_summary(self) -> list[tuple[str, str]]:
        """The summary figures as the files say them (the page's ``summary``, unless a report's
        apportioned tables change a derived figure)."""
        return self.summary


def data_columns(sheet: Sheet) -> list[Column]:
    return [c for c in sheet.columns if c.where != PRINT]


def print_columns(sheet: Sheet) -> list[Column]:
    return [c for c in sheet.columns if c.where != DATA]


def safe_text(text: str) -> str:
    """``text`` as a spreadsheet shows it and never runs it: one starting like a formula gets a
    leading apostrophe (Excel, LibreOffice and Google Sheets show it as text)."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def money_cents(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else to_cents(amount)


def ratio(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def csv_text(value, column: Column) -> str:
    """A CSV cell: plain numbers (money as 1234.57, ratios as fractions 0.7750, ISO dates), text
    made formula-safe, None empty."""
    if value is None:
        return ""
    if column.kind == MONEY:
        return str(to_cents(value))
    if column.kind == RATIO:
        return str(ratio(value))
    if column.kind == DATE:
        return value.isoformat()
    if column.kind == INT:
        return str(value)
    return safe_text(str(value))


def display_text(value, column: Column) -> str:
    """A cell for people (PDF, page): $1,234.57, 77.5%, 1,234, Mar 3, 2026."""
    if value is None:
        return column.none_text
    if column.kind == MONEY:
        return usd(value)
    if column.kind == RATIO:
        return f"{(value * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"
    if column.kind == INT:
        return f"{value:,}"
    if column.kind == DATE:
        return f"{value:%b} {value.day}, {value.year}" if isinstance(value, date) else str(value)
    return str(value)


def display_table(sheet: Sheet) -> dict:
    """The sheet as people read it (the Reports page): {"title", "note", "empty_text", "headers":
    [(header, numeric)], "rows": [[(text, numeric)]], "totals": [(text, numeric)] or None}."""
    columns = print_columns(sheet)

    def cells(row: dict, totals: bool = False) -> list[tuple[str, bool]]:
        # A totals row leaves text it has no total for (a team's cost center) blank, not "—".
        return [("" if totals and c.kind == TEXT and row.get(c.key) is None else display_text(row.get(c.key), c),
                 c.kind != TEXT) for c in columns]

    return {
        "key": sheet.key, "title": sheet.title, "note": sheet.note, "empty_text": sheet.empty_text,
        "headers": [(c.header, c.kind != TEXT) for c in columns],
        "rows": [cells(row) for row in sheet.rows],
        "totals": cells(sheet.totals | {columns[0].key: "Total"}, True) if sheet.totals is not None else None,
    }
