"""Cents that add up: the rounding rule of every exported table (CSV, Excel, PDF).

Rounding each row to the cent on its own makes a table that does not add up to its total (a month's
daily lines summed to $3,111.27, its developers to $3,111.16, its total was $3,111.17). Files apportion
instead, by the largest-remainder rule (Hamilton's method):

1. Round the exact total half up to the cent: the target.
2. Give every amount its floor in cents; the cents still missing (target − the floors' sum, never more
   than the amounts with a fractional cent) go one each to the amounts with the largest fractional
   cents; equal fractions go in the amounts' order (for the daily lines: developer name, e-mail, day,
   model, source), so the same month gives the same file.

The daily lines are apportioned once, against the month's total (CentLedger); every coarser table
(developers, teams, cost centers, models, sources, the summary) is the sum of those rounded lines
(Pivot), so any pivot of the daily lines equals its sheet to the cent and every sheet equals the
total. A table that is no pivot of the lines (reconciliation) is apportioned against its own rounded
total (OwnTotal). A new table gets the rule by declaring one of these on its Sheet (``cents=``).
Averages, P90s and ratios are not sums: they stay rounded on their own. The pages and the API keep
the exact figures: only files are apportioned.

No Django here: the amounts come from wherever the caller reads them.
"""
from __future__ import annotations

from array import array
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
import pickle
import tempfile

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# A fractional cent is compared as a whole number of 1e-10 cents (1e-12 dollars: the money columns'
# precision); finer digits only ever order ties, never change a sum.
FRACTION_SCALE = 10**10
BUCKETS = 1 << 16  # the threshold search scans the fractions 3 times (1e10 -> 152,588 -> 3 -> 1)
NO_FRACTION = -1  # an amount that is None: no cents, never given one
SPOOL_BATCH = 1000  # lines pickled together: one seek and one load per thousand lines


def _split(amount: Decimal) -> tuple[int, int]:
    """(whole cents rounded down, the fractional cent in 1e-10 cents)."""
    scaled = amount * HUNDRED
    floor = scaled.to_integral_value(rounding=ROUND_FLOOR)
    return int(floor), int(((scaled - floor) * FRACTION_SCALE).to_integral_value(rounding=ROUND_FLOOR))


class Apportionment:
    """Largest remainder over a sequence of amounts, read once (``amounts``; None is no amount), then
    applied to the same amounts in the same order with ``rounder()``. Holds 8 bytes per amount (its
    fractional cent) and nothing else per amount, so a month of daily lines can be streamed twice.

    ``exact``: the amounts' exact sum; ``total``: it rounded half up to the cent, which the rounded
    amounts add up to exactly."""

    def __init__(self, amounts: Iterable[Decimal | None]):
        fractions = array("q")
        floors, exact = 0, Decimal(0)
        for amount in amounts:
            if amount is None:
                fractions.append(NO_FRACTION)
                continue
            floor, fraction = _split(amount)
            floors += floor
            exact += amount
            fractions.append(fraction)
        self.exact = exact
        self.total = exact.quantize(CENT, rounding=ROUND_HALF_UP)
        # The cents the floors are short of the total: 0 <= missing <= amounts with a fraction.
        self.missing = int(self.total * HUNDRED) - floors
        self.count = len(fractions)
        self.threshold, self.above = _threshold(fractions, self.missing) if self.missing else (FRACTION_SCALE, 0)

    def rounder(self) -> Callable[[Decimal | None], Decimal | None]:
        """A function rounding the amounts, called once per amount in the order they were read."""
        ties_left = self.missing - self.above  # fractions equal to the threshold given a cent, first come

        def cents(amount: Decimal | None) -> Decimal | None:
            nonlocal ties_left
            if amount is None:
                return None
            floor, fraction = _split(amount)
            if fraction > self.threshold:
                floor += 1
            elif fraction == self.threshold and ties_left > 0:
                ties_left -= 1
                floor += 1
            return Decimal(floor) / HUNDRED

        return cents


def _threshold(fractions: array, wanted: int) -> tuple[int, int]:
    """(T, above): the ``wanted``-th largest fraction (1-based) and how many fractions exceed it. A
    radix search: each round counts the fractions left in [lo, lo + span) in BUCKETS buckets, keeps
    the bucket holding the wanted one, until the bucket is one value wide. Memory: the buckets."""
    above, lo, span = 0, 0, FRACTION_SCALE
    while True:
        width = -(-span // BUCKETS)
        counts = [0] * BUCKETS
        for fraction in fractions:
            if lo <= fraction < lo + span:
                counts[(fraction - lo) // width] += 1
        bucket = BUCKETS - 1
        while above + counts[bucket] < wanted:  # the wanted one is in a lower bucket
            above += counts[bucket]
            bucket -= 1
            if bucket < 0:
                raise ValueError(f"fewer than {wanted} fractions")  # a bug: never more cents than fractions
        lo, span = lo + bucket * width, width
        if span == 1:
            return lo, above


def largest_remainder(amounts: Sequence[Decimal | None]) -> tuple[list[Decimal | None], Decimal]:
    """(the amounts in cents, adding up to their total rounded half up; that total). None stays None."""
    apportionment = Apportionment(amounts)
    cents = apportionment.rounder()
    return [cents(amount) for amount in amounts], apportionment.total


class CentLedger:
    """The finest lines of a report (dicts; their exact money under ``amount``), apportioned to the cent
    against their rounded total. The lines are read once (a database cursor may be behind them) and
    spooled to a temporary file, so every table summed from them (``pivot``) and the lines written
    (``lines``) come from the same read, in flat memory (8 bytes a line beside the spool)."""

    def __init__(self, lines: Iterable[dict], amount: str = "cost"):
        self.amount = amount
        self._spool = tempfile.TemporaryFile(prefix="costdash-cents-")
        self._apportionment = Apportionment(self._spooled(lines))
        self.total = self._apportionment.total
        self.exact = self._apportionment.exact

    def _spooled(self, lines: Iterable[dict]) -> Iterator[Decimal | None]:
        batch: list[dict] = []
        self._batches = 0
        for line in lines:
            batch.append(line)
            if len(batch) == SPOOL_BATCH:
                self._dump(batch)
                batch = []
            yield line[self.amount]
        if batch:
            self._dump(batch)

    def _dump(self, batch: list[dict]) -> None:
        pickle.dump(batch, self._spool, protocol=pickle.HIGHEST_PROTOCOL)
        self._batches += 1

    def _read(self) -> Iterator[dict]:
        """The spooled lines in order. Several readers may run at once: each seeks to its own place."""
        position = 0
        for _ in range(self._batches):
            self._spool.seek(position)
            batch = pickle.load(self._spool)
            position = self._spool.tell()
            yield from batch

    def lines(self) -> Iterator[dict]:
        """Each line with its amount in cents and the exact amount as ``exact_<amount>``, in the order
        read."""
        cents = self._apportionment.rounder()
        exact_key = f"exact_{self.amount}"
        for line in self._read():
            yield line | {self.amount: cents(line[self.amount]), exact_key: line[self.amount]}

    def pivot(self, keys: dict[str, Callable[[dict], Hashable]]) -> dict[str, dict[Hashable, Decimal]]:
        """name -> (key -> the sum of the rounded lines with that key), for every ``keys`` function, in
        one pass. A line with no amount (None) adds nothing."""
        sums: dict[str, dict[Hashable, Decimal]] = {name: {} for name in keys}
        for line in self.lines():
            if line[self.amount] is None:
                continue
            for name, key_of in keys.items():
                key = key_of(line)
                sums[name][key] = sums[name].get(key, Decimal(0)) + line[self.amount]
        return sums

    def close(self) -> None:
        self._spool.close()


@dataclass(frozen=True)
class Pivot:
    """A table whose rows sum the apportioned lines: a row's ``columns`` (money, exact on the page) are
    replaced in files by the sum of the rounded lines whose ``line_key`` equals the row's ``row_key``
    (None stays None: unknown, never $0), and its totals row by the lines' rounded total."""

    line_key: Callable[[dict], Hashable]
    row_key: Callable[[dict], Hashable]
    columns: tuple[str, ...] = ("spend",)


@dataclass(frozen=True)
class OwnTotal:
    """A table apportioned on its own (no pivot of the lines): each of ``columns`` by largest remainder
    against the column's exact sum rounded, which becomes the totals row's figure. ``then``: a row
    (totals too) with the rounded columns -> the row with figures derived from them (a difference)."""

    columns: tuple[str, ...]
    then: Callable[[dict], dict] | None = None


@dataclass(frozen=True)
class Lines:
    """The table of the apportioned lines themselves (the daily lines)."""


LINES = Lines()


def by(field: str, blank: str = "") -> Callable[[dict], Hashable]:
    """A key function: the dict's ``field``, ``blank`` when empty (a line's "" team is "(no team)")."""
    return lambda row: row.get(field) or blank


def everything(row: dict) -> Hashable:
    """The key of a table with one row holding the whole month (the summary)."""
    return None


def apportioned(sheets: list, ledger: CentLedger | None) -> list:
    """The sheets as files write them (base.Sheet, copied): each sheet's ``cents`` rule applied. Every
    Pivot is summed in one pass over ``ledger`` (required when a sheet declares Pivot or LINES)."""
    pivots = {sheet.key: sheet.cents.line_key for sheet in sheets if isinstance(sheet.cents, Pivot)}
    sums = ledger.pivot(pivots) if pivots else {}
    out = []
    for sheet in sheets:
        rule = sheet.cents
        if isinstance(rule, Pivot):
            out.append(_pivoted(sheet, rule, sums[sheet.key], ledger.total))
        elif isinstance(rule, OwnTotal):
            out.append(_own_total(sheet, rule))
        elif isinstance(rule, Lines):
            out.append(replace(sheet, rows=ledger.lines()))
        else:
            out.append(sheet)
    return out


def _pivoted(sheet, rule: Pivot, sums: dict[Hashable, Decimal], total: Decimal):
    """The sheet with its money columns summed from the rounded lines. Its rows must add up to the
    lines' total: they do unless the month changed between reading its report and its lines."""
    rows = []
    for row in sheet.rows:
        found = sums.get(rule.row_key(row), Decimal(0))
        rows.append(row | {col: None if row.get(col) is None else found for col in rule.columns})
    for col in rule.columns:
        added = sum((row[col] for row in rows if row.get(col) is not None), Decimal(0))
        if added != total:
            raise ValueError(f"{sheet.title}: the rows add up to {added}, the daily lines to {total}: "
                             "the month changed while this file was written; build it again")
    totals = sheet.totals
    if totals is not None:
        totals = totals | {col: total for col in rule.columns if totals.get(col) is not None}
    return replace(sheet, rows=rows, totals=totals)


def _own_total(sheet, rule: OwnTotal):
    rows = [dict(row) for row in sheet.rows]
    totals = dict(sheet.totals) if sheet.totals is not None else None
    for col in rule.columns:
        cents, total = largest_remainder([row.get(col) for row in rows])
        for row, value in zip(rows, cents, strict=True):
            row[col] = value
        if totals is not None and totals.get(col) is not None:
            totals[col] = total
    if rule.then is not None:
        rows = [rule.then(row) for row in rows]
        totals = rule.then(totals) if totals is not None else None
    return replace(sheet, rows=rows, totals=totals)
