"""CSV: one breakdown per file, a header row, its rows and its totals row. UTF-8 with a byte-order
mark (so Excel reads non-ASCII names right); plain numbers (money in dollars to the cent, apportioned
so the rows add up to the totals row: exporters/cents.py; ratios as fractions, ISO dates); text that
a spreadsheet would run as a formula starts with an apostrophe."""
from __future__ import annotations

from collections.abc import Iterator
import csv
import io
from typing import BinaryIO

from ..exporters.base import Exporter, Sheet, csv_text, data_columns


def csv_lines(sheet: Sheet) -> Iterator[list[str]]:
    """The sheet's header, rows and totals as lists of CSV cells, one at a time."""
    columns = data_columns(sheet)
    yield [column.header for column in columns]
    for row in sheet.rows:
        yield [csv_text(row.get(column.key), column) for column in columns]
    if sheet.totals is not None:
        totals = sheet.totals | {columns[0].key: "Total"}
        yield [csv_text(totals.get(column.key), column) for column in columns]


def write_csv(exporter: Exporter, out: BinaryIO, sheet: str = "") -> None:
    """Write one breakdown (``sheet``, default the exporter's first) to ``out``, row by row."""
    chosen = exporter.file_sheet(sheet or exporter.sheet_keys()[0])
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text)
        for line in csv_lines(chosen):
            writer.writerow(line)
        text.flush()
    finally:
        text.detach()  # leave ``out`` open for the caller
