"""Exports that add up: a month of hundreds of developer-day x model x source lines with fractional
cents ($0.0049, $1.2351, $0.005...), written as CSV, Excel and PDF and read back. The daily lines,
pivoted by developer, team, cost center, model and source, equal each sheet to the cent, each sheet
adds up to its total and every total is the month's exact spend rounded half up (exporters/cents.py:
largest remainder at the daily lines, every other sheet summed from them). The page keeps the exact
figures. Rounding each row on its own (before) fails every one of these."""
import csv
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
import io
import json
import random
import re

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader
import pytest

from costdash.accounts.models import Team
from costdash.chargeback.models import DailyDimensionCost
from costdash.lib.money import usd
from costdash.reports.exporters.cents import Apportionment, largest_remainder
from costdash.reports.exporters.monthly import MonthlyExporter, apportioned_daily_lines
from costdash.reports.formats import write_csv, write_pdf, write_xlsx
from costdash.reports.selectors import NO_COST_CENTER, NO_TEAM, monthly_report
from costdash.rollups.developer_months import developer_months_rebuild
from costdash.rollups.models import DailyCost, DeveloperDay
from costdash.rollups.org_days import org_days_rebuild
from costdash.rollups.services import developer_days_of
from tests.factories import DeveloperFactory, TeamFactory
from tests.reports.conftest import APRIL_15, MARCH, billed, usage

CENT = D("0.01")
MODELS = ("claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5")
SOURCES = ("claude_code_jsonl", "otel")
# Costs that round badly one by one: half cents (always up), just under, just over, sub-cent.
AWKWARD = ("0.0049", "0.005", "0.0051", "1.2351", "0.125", "2.3450", "0.0001", "7.7750", "0.015")


def cents(amount: D) -> D:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@pytest.fixture
def fractional_month(db):
    """March 2026: 14 developers (4 teams in 3 cost centers, one team without a cost center, one
    developer without a team), up to 31 days x 3 models x 2 sources, ~600 lines with fractional cents,
    and one unpriced line (requests but no price). Returns the exact lines {email, team, cost_center,
    model, source, cost}."""
    rng = random.Random(12)
    teams = [TeamFactory(name=name) for name in ("Alpha", "Beta", "Gamma", "Delta")]
    for team, center in zip(teams, ("CC-100", "CC-100", "CC-200", ""), strict=True):
        Team.objects.filter(pk=team.pk).update(cost_center=center)
    developers = [DeveloperFactory(name=f"Dev {i:02}", email=f"dev{i:02}@example.com", team=teams[i % 4])
                  for i in range(13)]
    developers.append(DeveloperFactory(name="Solo", email="solo@example.com", team=None))
    rows = []
    for developer in developers:
        for day in range(1, 32):
            for model in MODELS:
                for source in SOURCES:
                    if rng.random() < 0.25:
                        cost = D(rng.choice(AWKWARD)) if rng.random() < 0.4 else D(rng.randint(1, 400_000)) / 10_000
                        rows.append(DailyCost(developer=developer, day=date(2026, 3, day), model=model,
                                              source=source, requests=rng.randint(1, 9), cost=cost,
                                              input_tokens=rng.randint(1, 5000)))
    rows.append(DailyCost(developer=developers[0], day=date(2026, 3, 9), model="mystery-model",
                          source="claude_code_jsonl", requests=3, unpriced_requests=3, input_tokens=10, cost=D(0)))
    DailyCost.objects.bulk_create(rows)
    DailyDimensionCost.objects.bulk_create(_by_project(rows, rng))
    for developer in developers:
        DeveloperDay.objects.bulk_create(developer_days_of(developer.pk, DailyCost.objects.filter(developer=developer)))
        developer_months_rebuild(developer.pk, {row.day for row in rows if row.developer_id == developer.pk})
    org_days_rebuild()  # the org's days (rollups.org_days), as the recompute leaves them
    centers = {team.name: center for team, center in zip(teams, ("CC-100", "CC-100", "CC-200", ""), strict=True)}
    return [{"email": row.developer.email, "team": row.developer.team.name if row.developer.team else "",
             "cost_center": centers.get(row.developer.team.name, "") if row.developer.team else "",
             "model": row.model, "source": row.source, "cost": row.cost} for row in rows]


def _by_project(rows: list[DailyCost], rng: random.Random) -> list[DailyDimensionCost]:
    """Each line split between two repositories at a random fraction (to the 1e-6 dollar), as the
    chargeback rollup would: the parts add up to the line."""
    parts = []
    for row in rows:
        first = (row.cost * rng.randint(1, 99) / 100).quantize(D("0.000001"))
        for project, cost, requests in (("repo-a", first, row.requests), ("repo-b", row.cost - first, 0)):
            dimensions = json.dumps({"project": project, "otel": {"team.id": project[-1]}}, sort_keys=True)
            parts.append(DailyDimensionCost(developer=row.developer, day=row.day, model=row.model, source=row.source,
                                            dimensions=dimensions, cost=cost, requests=requests))
    return parts


def exporter():
    return MonthlyExporter(monthly_report(MARCH, today=APRIL_15))


def csv_of(sheet: str) -> list[dict]:
    out = io.BytesIO()
    write_csv(exporter(), out, sheet)
    return list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))


def pivot(lines: list[dict], key, amount: str) -> dict:
    sums: dict = {}
    for line in lines:
        sums[key(line)] = sums.get(key(line), D(0)) + D(line[amount])
    return sums


def split_total(rows: list[dict], label_key: str) -> tuple[list[dict], dict]:
    assert rows[-1][label_key] == "Total"
    return rows[:-1], rows[-1]


# Each sheet: its key column in the daily lines, in the sheet, and how a blank line key reads there.
PIVOTS = {
    "developers": ("E-mail", "E-mail", ""),
    "teams": ("Team", "Team", NO_TEAM),
    "cost_centers": ("Cost center", "Cost center", NO_COST_CENTER),
    "models": ("Model", "Model", ""),
    "sources": ("Source", "Source id", ""),
}


def test_csv_daily_lines_pivot_into_every_sheet_to_the_cent(fractional_month):
    exact_total = sum(line["cost"] for line in fractional_month)
    naive = sum(cents(line["cost"]) for line in fractional_month)
    assert naive != cents(exact_total) and len(fractional_month) > 500  # the month rounds badly row by row
    daily = csv_of("daily")
    assert len(daily) == len(fractional_month)
    assert all(D(line["Cost"]) == D(line["Cost"]).quantize(CENT) for line in daily)
    assert sum(D(line["Cost"]) for line in daily) == cents(exact_total)
    for sheet, (line_column, sheet_column, blank) in PIVOTS.items():
        found = csv_of(sheet)
        rows, total = split_total(found, next(iter(found[0])))
        by_key = pivot(daily, lambda line, c=line_column, b=blank: line[c] or b, "Cost")
        shown = {row[sheet_column]: D(row["Spend"]) for row in rows if row["Spend"]}
        assert shown == {key: value for key, value in by_key.items() if key != "mystery-model"}, sheet
        assert sum(shown.values()) == D(total["Spend"]) == cents(exact_total), sheet
    models = {row["Model"]: row for row in csv_of("models")}
    assert (models["mystery-model"]["Spend"], models["mystery-model"]["Pricing"]) == ("", "unpriced")


def test_xlsx_every_sheet_adds_up_and_equals_the_pivots(fractional_month):
    exact_total = sum(line["cost"] for line in fractional_month)
    out = io.BytesIO()
    write_xlsx(exporter(), out)
    wb = load_workbook(io.BytesIO(out.getvalue()))

    def table(title: str) -> list[dict]:
        values = list(wb[title].iter_rows(values_only=True))
        header = values[0]
        return [dict(zip(header, row, strict=False)) for row in values[1:] if row and row[0] is not None]

    def money(value) -> D:
        found = D(str(value))
        assert found == found.quantize(CENT), value  # a cent figure, not a float's tail
        return found

    daily = [line for line in table("Daily lines") if line["Cost"] is not None]
    assert len(daily) == len(fractional_month)
    month_total = sum((money(line["Cost"]) for line in daily), D(0))
    assert month_total == cents(exact_total)
    assert money(table("Summary")[0]["Spend"]) == month_total
    titles = {"developers": "Developers", "teams": "Teams", "cost_centers": "Cost centers", "models": "Models",
              "sources": "Sources"}
    for sheet, (line_column, sheet_column, blank) in PIVOTS.items():
        rows = table(titles[sheet])
        total = next(row for row in rows if next(iter(row.values())) == "Total")
        rows = [row for row in rows if row is not total and row["Spend"] is not None]
        by_key = pivot([line | {"Cost": money(line["Cost"])} for line in daily],
                       lambda line, c=line_column, b=blank: line[c] or b, "Cost")
        assert {row[sheet_column]: money(row["Spend"]) for row in rows} == {
            key: value for key, value in by_key.items() if key != "mystery-model"}, sheet
        assert sum(money(row["Spend"]) for row in rows) == money(total["Spend"]) == month_total, sheet


def test_page_keeps_exact_figures_and_files_say_the_rule(fractional_month):
    report_exporter = exporter()
    page = {row["email"]: row["spend"] for row in report_exporter.sheet("developers").rows}
    exact = pivot(fractional_month, lambda line: line["email"], "cost")
    assert page == exact  # unrounded: the page and the API show the recorded figures
    files = {row["email"]: row["spend"] for row in report_exporter.file_sheet("developers").rows}
    assert files != {email: cents(value) for email, value in exact.items()}  # apportioned, not row-rounded
    assert all(abs(files[email] - exact[email]) < D("0.01") * 40 for email in exact)
    assert any(label == "Rounding" and "largest remainder" in text for label, text in report_exporter.file_summary())
    assert not any(label == "Rounding" for label, _ in report_exporter.summary)


def test_chargeback_breakdowns_add_up_to_the_month(fractional_month):
    """Projects and an OTel attribute split the lines finer than a developer-day: each is apportioned
    within its own total, the month's total rounded. Breakdowns that say nothing are left out."""
    exact_total = sum(line["cost"] for line in fractional_month)
    keys = exporter().sheet_keys()
    assert {"chargeback-projects", "chargeback-otel-teamid"} <= set(keys)
    assert "chargeback-api-keys" not in keys and "chargeback-cost-centers" not in keys  # none, and as teams
    for key in ("chargeback-projects", "chargeback-otel-teamid"):
        found = csv_of(key)
        rows, total = split_total(found, next(iter(found[0])))
        assert len(rows) == 2 and sum(D(row["Spend"]) for row in rows) == D(total["Spend"]) == cents(exact_total)
        assert sum(int(row["Requests"]) for row in rows) == int(total["Requests"]) > 0
    page = exporter().sheet("chargeback-projects")
    assert sum(row["spend"] for row in page.rows) == page.totals["spend"] == exact_total  # exact on the page
    out = io.BytesIO()
    write_xlsx(exporter(), out)
    assert "OTel team.id" in load_workbook(io.BytesIO(out.getvalue())).sheetnames


def test_apportioned_daily_lines_for_other_exports(fractional_month):
    lines = list(apportioned_daily_lines(MARCH))
    assert len(lines) == len(fractional_month)
    assert sum(line["exact_cost"] for line in lines) == sum(line["cost"] for line in fractional_month)
    assert sum(line["cost"] for line in lines) == cents(sum(line["cost"] for line in fractional_month))
    assert all(abs(line["cost"] - line["exact_cost"]) < CENT for line in lines)
    again = [line["cost"] for line in apportioned_daily_lines(MARCH)]
    assert again == [line["cost"] for line in lines]  # ties go in the lines' order: the same file twice


def test_pdf_tables_show_totals_equal_to_their_rows(fractional_month):
    out = io.BytesIO()
    write_pdf(exporter(), out)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(out.getvalue())).pages)
    shown = MonthlyExporter(monthly_report(MARCH, today=APRIL_15)).file_sheets()
    exact_total = cents(sum(line["cost"] for line in fractional_month))
    for sheet in shown:
        if not sheet.in_pdf or sheet.key == "reconciliation":
            continue
        spends = [row["spend"] for row in sheet.rows if row.get("spend") is not None]
        assert sum(spends) == sheet.totals["spend"] == exact_total, sheet.key
        for row in sheet.rows:  # each row's figure as the PDF prints it
            if row.get("spend") is not None:
                assert usd(row["spend"]) in text, (sheet.key, row["spend"])
    # Read off the page: in the tables with a share column, each spend is the amount before a percentage.
    sections = {"Teams": r"\nTeams\nFor chargeback(.*?)\nCost centers\nFor chargeback",
                "Cost centers": r"\nCost centers\nFor chargeback(.*?)\nModels\n",
                "Models": r"\nModels\nRequests with no known price(.*?)\nSources\n"}
    for title, pattern in sections.items():
        section = re.search(pattern, text, re.S).group(1)
        printed = [D(amount.replace(",", "")) for amount in re.findall(r"^\$([\d,]+\.\d\d)\n(?:[\d.]+%|—)$", section, re.M)]
        assert len(printed) >= 3 and sum(printed[:-1]) == printed[-1] == exact_total, title


def test_reconciliation_rows_add_up_to_their_totals(db):
    """Three workspace x model rows billed $1.005 and priced $0.335 each: rounded one by one they say
    $3.03 and $1.02 against totals of $3.02 (3.015) and $1.01 (1.005). Apportioned, each column adds up
    to its totals row and difference is billed − priced on every row."""
    for day, workspace, model in ((1, "wrkspc_A", "claude-sonnet-4-6"), (2, "wrkspc_B", "claude-sonnet-4-6"),
                                  (3, "wrkspc_C", "claude-opus-4-6")):
        billed(workspace, date(2026, 3, day), model, "1.005")
        usage(workspace, date(2026, 3, day), model, "0.335")
    rows, total = split_total(csv_of("reconciliation"), "Workspace")
    assert (total["Billed"], total["Priced by us"], total["Difference"]) == ("3.02", "1.01", "2.01")
    for column in ("Billed", "Priced by us", "Difference"):
        assert sum(D(row[column]) for row in rows) == D(total[column]), column
    assert all(D(row["Difference"]) == D(row["Billed"]) - D(row["Priced by us"]) for row in rows)


def naive_largest_remainder(amounts: list[D | None]) -> list[D | None]:
    """The rule by its definition: floors, then a cent each to the largest fractions, ties in order."""
    present = [(i, amount) for i, amount in enumerate(amounts) if amount is not None]
    floors = {i: (amount * 100).to_integral_value(rounding="ROUND_FLOOR") for i, amount in present}
    target = cents(sum((amount for _, amount in present), D(0))) * 100
    missing = int(target - sum(floors.values(), D(0)))
    order = sorted(present, key=lambda item: (-(item[1] * 100 - floors[item[0]]), item[0]))
    for i, _ in order[:missing]:
        floors[i] += 1
    return [floors[i] / 100 if i in floors else None for i in range(len(amounts))]


amounts_strategy = st.lists(st.one_of(st.none(), st.decimals(min_value=D("-50"), max_value=D("500"), places=6,
                                                              allow_nan=False, allow_infinity=False)),
                            max_size=60)


@given(amounts_strategy)
@hypothesis_settings(derandomize=True, max_examples=300, deadline=None)
def test_largest_remainder_matches_its_definition(amounts):
    found, total = largest_remainder(amounts)
    assert found == naive_largest_remainder(amounts)
    assert sum((a for a in found if a is not None), D(0)) == total == cents(sum((a for a in amounts if a), D(0)))


def test_equal_fractions_go_in_order():
    assert largest_remainder([D("0.005")] * 3) == ([D("0.01"), D("0.01"), D("0.00")], D("0.02"))
    assert largest_remainder([D("0.0049"), D("0.0051")]) == ([D("0.00"), D("0.01")], D("0.01"))
    assert largest_remainder([]) == ([], D("0.00"))
    big = Apportionment([D("0.004")] * 100_000)  # $400: 40,000 cents to the first 40,000
    rounder = big.rounder()
    assert sum(rounder(D("0.004")) for _ in range(100_000)) == big.total == D("400.00")
