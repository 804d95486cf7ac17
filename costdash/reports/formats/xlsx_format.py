"""Excel: one sheet per breakdown (the summary first), typed cells: whole numbers as numbers, money as
numbers to the cent in a "$"#,##0.00 format (apportioned so each sheet adds up to its total, and a
pivot of the daily lines equals each sheet: exporters/cents.py), ratios in a 0.0% format, days as
dates. Text is always written as text, so a name like =HYPERLINK(...) is never a formula. Written in
openpyxl's write-only mode: rows are spooled to disk as they come, so a large month's daily lines
take flat memory."""
from __future__ import annotations

import re
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..exporters.base import DATE, INT, MONEY, RATIO, Exporter, data_columns, money_cents, ratio

CURRENCY_FORMAT = '"$"#,##0.00'
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
INT_FORMAT = "#,##0"
BOLD, ITALIC = Font(bold=True), Font(italic=True)
# Excel's limit on a sheet name, and the characters it refuses in one (an OTel attribute may hold them).
SHEET_NAME_MAX = 31
NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


def _cell(ws, value, kind: str, font: Font | None = None):
    """A typed cell. Plain values where openpyxl's own typing is right (whole numbers, ordinary text):
    a styled cell costs about ten times more to write, and a month has tens of thousands of cells."""
    if value is None:
        return _styled(ws, None, None, font) if font else None
    if kind == MONEY:
        return _styled(ws, money_cents(value), CURRENCY_FORMAT, font)
    if kind == RATIO:
        return _styled(ws, ratio(value), PERCENT_FORMAT, font)
    if kind == DATE:
        return _styled(ws, value, DATE_FORMAT, font)
    if kind == INT:
        return _styled(ws, int(value), INT_FORMAT, font) if font else int(value)
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if font is None and not text.startswith("="):
        return text
    cell = _styled(ws, text, None, font)
    cell.data_type = "s"  # openpyxl makes any "=..." a formula: text stays text
    return cell


def _styled(ws, value, number_format: str | None, font: Font | None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if number_format:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    return cell


def write_xlsx(exporter: Exporter, out: BinaryIO, sheet: str = "") -> None:
    """Write every breakdown to ``out`` (``sheet`` is ignored: a workbook holds them all)."""
    wb = Workbook(write_only=True)
    wb.properties.title = exporter.title
    for found in exporter.file_sheets():
        columns = data_columns(found)
        ws = wb.create_sheet(title=NOT_IN_SHEET_NAMES.sub("_", found.title)[:SHEET_NAME_MAX])
        for i, column in enumerate(columns, 1):
            ws.column_dimensions[get_column_letter(i)].width = max(column.width, len(column.header) + 2)
        ws.freeze_panes = "B2"
        ws.append([_cell(ws, column.header, "text", BOLD) for column in columns])
        for row in found.rows:
            ws.append([_cell(ws, row.get(column.key), column.kind) for column in columns])
        if found.totals is not None:
            totals = found.totals | {columns[0].key: "Total"}
            ws.append([_cell(ws, totals.get(column.key), column.kind, BOLD) for column in columns])
        if found.note:
            ws.append([])
            ws.append([_cell(ws, found.note, "text", ITALIC)])
    wb.save(out)
