"""PDF: a printable summary on landscape A4: the title, the provisional banner, the summary figures,
the charts as images, then each printable breakdown as a table (headers repeated on every page), its
amounts apportioned to the cent so each table's rows add up to its total (exporters/cents.py).
Text is set in DejaVu Sans where the machine has it (most scripts), else the Vera font reportlab
ships; names are escaped, never read as markup."""
from __future__ import annotations

from functools import lru_cache
import io
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
import reportlab.rl_config

from ..exporters.base import TEXT, Chart, Exporter, Sheet, display_table, print_columns
from ..images import charts_png

PAGE = landscape(A4)
MARGIN = 12 * mm
WIDTH = PAGE[0] - 2 * MARGIN
FONT_FILES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    (str(Path(reportlab.rl_config.__file__).parent / "fonts" / "Vera.ttf"),
     str(Path(reportlab.rl_config.__file__).parent / "fonts" / "VeraBd.ttf")),
)
GRID = colors.HexColor("#d1d5db")
HEAD_BG = colors.HexColor("#f3f4f6")
BANNER_BG, BANNER_FG = colors.HexColor("#fef3c7"), colors.HexColor("#92400e")


@lru_cache(maxsize=1)
def fonts() -> tuple[str, str]:
    """(regular, bold) font names, registered once."""
    for regular, bold in FONT_FILES:
        if Path(regular).is_file() and Path(bold).is_file():
            pdfmetrics.registerFont(TTFont("Report", regular))
            pdfmetrics.registerFont(TTFont("Report-Bold", bold))
            return "Report", "Report-Bold"
    return "Helvetica", "Helvetica-Bold"


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = fonts()
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=18, leading=22, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", fontName=regular, fontSize=9, leading=12,
                                   textColor=colors.HexColor("#4b5563"), spaceAfter=6),
        "banner": ParagraphStyle("banner", fontName=bold, fontSize=10, leading=13, textColor=BANNER_FG,
                                 backColor=BANNER_BG, borderPadding=6, spaceBefore=4, spaceAfter=10),
        "h2": ParagraphStyle("h2", fontName=bold, fontSize=12, leading=15, spaceBefore=10, spaceAfter=4),
        "note": ParagraphStyle("note", fontName=regular, fontSize=8, leading=10,
                               textColor=colors.HexColor("#4b5563"), spaceAfter=4),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=7, leading=8.5),
        "head": ParagraphStyle("head", fontName=bold, fontSize=7, leading=8.5),
        "head_num": ParagraphStyle("head_num", fontName=bold, fontSize=7, leading=8.5, alignment=TA_RIGHT),
    }


def _table(rows: list[list], widths: list[float] | None, numeric: list[int], totals: bool) -> Table:
    regular, bold = fonts()
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, -1), regular, 7),
        ("FONT", (0, 0), (-1, 0), bold, 7),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    style += [("ALIGN", (i, 0), (i, -1), "RIGHT") for i in numeric]
    if totals:
        style += [("FONT", (0, -1), (-1, -1), bold, 7), ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black)]
    table.setStyle(TableStyle(style))
    return table


def _sheet_flowables(sheet: Sheet, styles: dict) -> list:
    weights = [column.width if column.kind == TEXT else 10 for column in print_columns(sheet)]
    shown = display_table(sheet)
    out = [Paragraph(escape(shown["title"]), styles["h2"])]
    if shown["note"]:
        out.append(Paragraph(escape(shown["note"]), styles["note"]))
    if not shown["rows"]:
        return out + ([Paragraph(escape(shown["empty_text"]), styles["note"])] if shown["empty_text"] else [])

    def cells(row: list[tuple[str, bool]]) -> list:
        return [text if numeric else Paragraph(escape(text), styles["cell"]) for text, numeric in row]

    headers = [Paragraph(escape(text), styles["head_num" if numeric else "head"]) for text, numeric in shown["headers"]]
    body = [headers] + [cells(row) for row in shown["rows"]]
    if shown["totals"] is not None:
        body.append(cells(shown["totals"]))
    numeric = [i for i, (_, is_number) in enumerate(shown["headers"]) if is_number]
    widths = [WIDTH * w / sum(weights) for w in weights]
    return out + [_table(body, widths, numeric, shown["totals"] is not None)]


def _chart_flowables(charts: list[Chart], styles: dict) -> list:
    images, error = charts_png(charts)
    if error:
        return [Paragraph(escape(f"The charts could not be drawn ({error}); the tables below hold every figure."),
                          styles["note"])]
    out = []
    for chart, png in zip(charts, images, strict=True):
        height = WIDTH * 0.75 * chart.height / chart.width
        image = Image(io.BytesIO(png), width=WIDTH * 0.75, height=height)
        out.append(KeepTogether([Paragraph(escape(chart.title), styles["h2"]), image]))
    return out


def write_pdf(exporter: Exporter, out: BinaryIO, sheet: str = "") -> None:
    """Write the printable report to ``out`` (``sheet`` is ignored: the PDF holds every breakdown)."""
    styles = _styles()
    regular, _ = fonts()
    story = [Paragraph(escape(exporter.title), styles["title"]),
             Paragraph(escape(exporter.subtitle), styles["subtitle"])]
    if exporter.banner:
        story.append(Paragraph(escape(exporter.banner), styles["banner"]))
    summary = [[Paragraph(escape(label), styles["head"]), Paragraph(escape(text), styles["cell"])]
               for label, text in exporter.file_summary()]
    if summary:
        story += [Paragraph("Summary", styles["h2"]), _table(summary, [WIDTH * 0.3, WIDTH * 0.5], [], False)]
    story += _chart_flowables(exporter.charts, styles)
    for found in exporter.file_sheets():
        if found.in_pdf:
            story += [Spacer(1, 4)] + _sheet_flowables(found, styles)

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.HexColor("#6b7280"))
        mark = " · PROVISIONAL" if exporter.banner else ""
        canvas.drawString(MARGIN, MARGIN / 2, f"{exporter.title}{mark}")
        canvas.drawRightString(PAGE[0] - MARGIN, MARGIN / 2, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(out, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=exporter.title, author="costdash")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
