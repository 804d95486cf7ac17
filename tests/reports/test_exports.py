"""CSV and Excel exports of the hand-worked March (conftest): read back, typed, totals, and names that
a spreadsheet would run as formulas kept as text."""
import csv
from datetime import date, datetime
from decimal import Decimal as D
import io
import zipfile

from openpyxl import load_workbook
import pytest

from costdash.reports.exporters.monthly import MonthlyExporter
from costdash.reports.formats import write_csv, write_xlsx
from costdash.reports.models import GeneratedReport
from costdash.reports.selectors import monthly_report
from costdash.reports.services import report_generate
from tests.factories import DailyCostFactory, DeveloperFactory, TeamFactory
from tests.reports.conftest import APRIL_15, MARCH

pytestmark = pytest.mark.django_db
CURRENCY = '"$"#,##0.00'
NASTY = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(1)", "\tTab", "=cmd|' /C calc'!A0"]


def exporter(today=APRIL_15):
    return MonthlyExporter(monthly_report(MARCH, today=today))


def csv_of(sheet: str, today=APRIL_15) -> list[dict]:
    out = io.BytesIO()
    write_csv(exporter(today), out, sheet)
    assert out.getvalue().startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads names right
    return list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))


def workbook(today=APRIL_15):
    out = io.BytesIO()
    write_xlsx(exporter(today), out)
    out.seek(0)
    return load_workbook(out), out


def columns(ws) -> dict[str, int]:
    return {cell.value: cell.column for cell in ws[1]}


@pytest.fixture
def nasty_names(db):
    """A developer per name a spreadsheet would run, in a team whose name is one too."""
    team = TeamFactory(name="=1+1", cost_center="@cc")
    for i, name in enumerate(NASTY):
        DailyCostFactory(developer=DeveloperFactory(name=name, email=f"n{i}@example.com", team=team),
                         day=date(2026, 3, 3), model="-model", cost=D(i + 1))


def test_csv_developers_worked_by_hand(march):
    rows = csv_of("developers")
    assert [row["Developer"] for row in rows] == ["Bo Brannigan", "Ana", "Cy", "Total"]
    ana = rows[1]
    assert (ana["E-mail"], ana["Team"], ana["Cost center"]) == ("ana@example.com", "Alpha", "CC-100")
    assert (ana["Spend"], ana["Avg / active day"], ana["P90 / active day"]) == ("59.50", "14.88", "26.35")
    assert (ana["Active days"], ana["Requests"], ana["Unpriced requests"], ana["Cache read tokens"]) == (
        "4", "47", "4", "3100")
    assert (ana["Cache hit rate"], ana["Main model"], ana["Days over ceiling"]) == ("0.7750", "sonnet", "1")
    total = rows[-1]
    assert (total["Spend"], total["Active days"], total["P90 / active day"], total["Avg / active day"]) == (
        "131.75", "9", "30.20", "14.64")
    assert "Tokens" not in rows[0]  # the printed summary's column; the data has every class


def test_csv_of_each_breakdown(march):
    teams = csv_of("teams")
    assert [(t["Team"], t["Cost center"], t["Spend"]) for t in teams] == [
        ("Beta", "CC-200", "60.00"), ("Alpha", "CC-100", "59.50"), ("Gamma", "CC-100", "12.25"), ("Total", "", "131.75")]
    centers = csv_of("cost_centers")
    assert [(c["Cost center"], c["Teams"], c["Spend"]) for c in centers][:2] == [
        ("CC-100", "Alpha, Gamma", "71.75"), ("CC-200", "Beta", "60.00")]
    models = {m["Model"]: m for m in csv_of("models")}
    assert (models["mystery-model"]["Spend"], models["mystery-model"]["Pricing"]) == ("", "unpriced")
    assert (models["sonnet"]["Spend"], models["sonnet"]["Pricing"]) == ("106.25", "priced")
    assert models["Total"]["Spend"] == "131.75"
    daily = csv_of("daily")
    assert len(daily) == 11 and (daily[0]["Day"], daily[0]["Model"], daily[0]["Source"]) == ("2026-03-02", "opus", "otel")
    assert sum(D(line["Cost"]) for line in daily) == D("131.75")


def test_csv_reconciliation(march, cost_reports):
    rows = csv_of("reconciliation")
    assert rows[0] == {"Workspace": "Default workspace", "Model": "claude-sonnet-4-6", "Billed": "1.25",
                       "Priced by us": "1.00", "Difference": "0.25", "Unpriced usage rows": "0"}
    assert rows[-1]["Workspace"] == "Total" and (rows[-1]["Billed"], rows[-1]["Difference"]) == ("19.75", "6.95")
    # A negative figure is a number, not text to escape.
    assert next(r for r in rows if r["Workspace"] == "wrkspc_B" and r["Model"] == "claude-sonnet-4-6")[
        "Difference"] == "-4.00"
    haiku = next(r for r in rows if r["Model"] == "claude-haiku-4-5")
    assert (haiku["Billed"], haiku["Priced by us"], haiku["Difference"]) == ("", "", "")


def test_csv_without_a_cost_report_has_no_rows(march):
    assert csv_of("reconciliation") == []


def test_csv_names_never_run_as_formulas(nasty_names):
    rows = csv_of("developers")[:-1]
    assert sorted(row["Developer"] for row in rows) == sorted(f"'{name}" for name in NASTY)
    assert {row["Team"] for row in rows} == {"'=1+1"} and {row["Cost center"] for row in rows} == {"'@cc"}
    assert {row["Main model"] for row in rows} == {"'-model"}
    assert csv_of("models")[0]["Spend"] == "21.00"


def test_xlsx_sheets_typed_cells_currency_and_totals(march):
    wb, _ = workbook()
    assert wb.sheetnames == ["Summary", "Developers", "Teams", "Cost centers", "Models", "Sources",
                             "Reconciliation", "Daily lines"]
    ws = wb["Developers"]
    col = columns(ws)
    names = [ws.cell(row=r, column=1).value for r in range(2, 6)]
    assert names == ["Bo Brannigan", "Ana", "Cy", "Total"]
    spend = ws.cell(row=3, column=col["Spend"])
    assert (spend.value, spend.data_type, spend.number_format) == (59.5, "n", CURRENCY)
    days = ws.cell(row=3, column=col["Active days"])
    assert (days.value, days.data_type) == (4, "n") and isinstance(days.value, int)
    rate = ws.cell(row=3, column=col["Cache hit rate"])
    assert (rate.value, rate.number_format) == (0.775, "0.0%")
    total = ws.cell(row=5, column=col["Spend"])
    assert (total.value, total.number_format, total.font.b) == (131.75, CURRENCY, True)
    assert ws.cell(row=5, column=col["P90 / active day"]).value == 30.2
    summary = wb["Summary"]
    s = columns(summary)
    assert summary.cell(row=2, column=s["Month"]).value == datetime(2026, 3, 1)
    assert summary.cell(row=2, column=s["Month"]).number_format == "yyyy-mm-dd"
    assert (summary.cell(row=2, column=s["Status"]).value, summary.cell(row=2, column=s["Spend"]).value) == (
        "final", 131.75)
    daily = wb["Daily lines"]
    d = columns(daily)
    assert daily.cell(row=2, column=d["Day"]).value == datetime(2026, 3, 2)
    assert daily.cell(row=12, column=1).value == "Cy"  # 11 lines, no totals row; then a blank row and the note
    assert daily.cell(row=14, column=1).value.startswith("One line per developer")


def test_xlsx_unpriced_model_cell_is_empty_not_zero(march):
    wb, _ = workbook()
    ws = wb["Models"]
    col = columns(ws)
    found = {ws.cell(row=r, column=1).value: r for r in range(2, ws.max_row + 1)}
    assert ws.cell(row=found["mystery-model"], column=col["Spend"]).value is None
    assert ws.cell(row=found["mystery-model"], column=col["Pricing"]).value == "unpriced"


def test_xlsx_names_are_text_never_formulas(nasty_names):
    wb, raw = workbook()
    ws = wb["Developers"]
    cells = [ws.cell(row=r, column=1) for r in range(2, 2 + len(NASTY))]
    assert sorted(c.value for c in cells) == sorted(NASTY)  # as typed: a text cell needs no apostrophe
    assert {c.data_type for c in cells} == {"s"}
    sheet_xml = zipfile.ZipFile(raw).read("xl/worksheets/sheet2.xml").decode()
    assert "<f>" not in sheet_xml and "HYPERLINK" in sheet_xml


def test_provisional_month_says_so_in_the_workbook_and_file_name(march):
    wb, _ = workbook(today=date(2026, 3, 20))
    summary = wb["Summary"]
    assert summary.cell(row=2, column=columns(summary)["Status"]).value == "provisional"
    kept = report_generate(MARCH, "xlsx", exporter=exporter(today=date(2026, 3, 20)))
    assert (kept.provisional, kept.filename) == (True, "costdash-2026-03-provisional.xlsx")


def test_generated_file_is_kept(march, billing_user):
    report = report_generate(MARCH, "csv", sheet="teams", requested_by=billing_user)
    assert (report.status, report.format, report.sheet, report.provisional) == ("ready", "csv", "teams", False)
    assert report.filename == "costdash-2026-03-teams.csv" and report.requested_by == billing_user
    with report.file.open("rb") as handle:
        data = handle.read()
    assert report.size == len(data) > 0 and b"Beta,CC-200" in data
    xlsx = report_generate(MARCH, "xlsx", sheet="teams")
    assert (xlsx.sheet, xlsx.filename, xlsx.status) == ("", "costdash-2026-03.xlsx", "ready")
    assert GeneratedReport.objects.count() == 2


def test_an_unknown_breakdown_or_format_is_refused(march):
    with pytest.raises(ValueError, match="unknown breakdown"):
        report_generate(MARCH, "csv", sheet="summary")
    with pytest.raises(ValueError, match="unknown format"):
        report_generate(MARCH, "docx")
    assert not GeneratedReport.objects.exists()
