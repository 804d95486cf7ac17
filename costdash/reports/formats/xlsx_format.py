"""Excel: one sheet per breakdown (the summary first), typed cells: whole numbers as numbers, money as
numbers to the cent in a "$"#,##0.00 format, ratios in a 0.0% format, days as dates. Text is always
written as text, so a name like =HYPERLINK(...) is never a formula. Written in openpyxl's write-only
mode: rows are spooled to disk as they come, so a large month's daily lines take flat memory."""
from __future__ import annotations

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
# Excel's limit on a sheet name.
SHEET_NAME_MAX = 31


def _cell(ws, value, kind: str, font: Font | None = None) -> WriteOnlyCell:
    if value is None:
        cell = WriteOnlyCell(ws, value=None)
    elif kind == MONEY:
        cell = WriteOnlyCell(ws, value=money_cents(value))
        cell.number_format = CURRENCY_FORMAT
    elif kind == RATIO:
        cell = WriteOnlyCell(ws, value=ratio(value))
        cell.number_format = PERCENT_FORMAT
    elif kind == DATE:
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
    elif kind == INT:
        cell = WriteOnlyCell(ws, value=int(value))
        cell.number_format = INT_FORMAT
    else:
        cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", str(value)))
        cell.data_type = "s"  # openpyxl would make "=..." a formula: text stays text
    if font is not None:
        cell.font = font
    return cell


def write_xlsx(exporter: Exporter, out: BinaryIO, sheet: str = "") -> None:
    """Write every breakdown to ``out`` (``sheet`` is ignored: a workbook holds them all)."""
    wb = Workbook(write_only=True)
    wb.properties.title = exporter.title
    for found in exporter.sheets():
        columns = data_columns(found)
        ws = wb.create_sheet(title=found.title[:SHEET_NAME_MAX])
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
