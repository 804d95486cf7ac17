"""The file formats a report is written in: format -> writer(exporter, out, sheet). Adding one is a
module here and a line below. Every writer writes to a binary file as it goes (flat memory: CSV row
by row, XLSX through openpyxl's write-only mode, which spools rows to disk)."""
from .csv_format import write_csv
from .pdf_format import write_pdf
from .xlsx_format import write_xlsx

WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "pdf": write_pdf}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
# Formats holding one breakdown per file (the others hold every breakdown).
ONE_SHEET = frozenset({"csv"})
