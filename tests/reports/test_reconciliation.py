"""Billed (Anthropic's cost report) beside priced (its usage report at our rates), per workspace and
model, and the difference; figures by hand in tests/reports/conftest.py cost_reports."""
from datetime import date
from decimal import Decimal as D

import pytest

from costdash.reports.reconciliation import reconciliation
from costdash.reports.selectors import monthly_report
from tests.reports.conftest import APRIL_15, MARCH, billed

pytestmark = pytest.mark.django_db
SONNET, OPUS, HAIKU = "claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5"


def march_rows():
    rec = reconciliation(date(2026, 3, 1), date(2026, 3, 31))
    return rec, {(row["workspace"], row["model"]): row for row in rec.rows}


def figures(row):
    return row["billed"], row["priced"], row["difference"], row["unpriced_rows"]


def test_per_workspace_and_model(cost_reports):
    rec, rows = march_rows()
    assert rec.available and rec.billed_imported and rec.usage_imported
    assert list(rows) == [("", SONNET), ("wrkspc_A", ""), ("wrkspc_A", OPUS), ("wrkspc_A", SONNET),
                          ("wrkspc_B", HAIKU), ("wrkspc_B", SONNET)]
    # The hourly re-import of March 2 is not added to its daily bucket: 2 × 3.90, not 7.80 + 3.00.
    assert figures(rows[("wrkspc_A", SONNET)]) == (D("8.00"), D("7.80"), D("0.20"), 0)
    assert figures(rows[("wrkspc_A", OPUS)]) == (D("10.00"), None, D("10.00"), 0)  # billed, no usage seen
    assert figures(rows[("wrkspc_A", "")]) == (D("0.50"), None, D("0.50"), 0)  # a line with no model
    assert figures(rows[("wrkspc_B", SONNET)]) == (None, D("4.00"), D("-4.00"), 1)  # usage not billed
    assert figures(rows[("wrkspc_B", HAIKU)]) == (None, None, None, 1)  # unpriced: unknown, not $0
    assert figures(rows[("", SONNET)]) == (D("1.25"), D("1.00"), D("0.25"), 0)  # the Default workspace


def test_per_workspace_and_in_total(cost_reports):
    rec, _ = march_rows()
    workspaces = {row["workspace"]: figures(row) for row in rec.workspaces}
    assert workspaces == {
        "": (D("1.25"), D("1.00"), D("0.25"), 0),
        "wrkspc_A": (D("18.50"), D("7.80"), D("10.70"), 0),
        "wrkspc_B": (None, D("4.00"), D("-4.00"), 2),
    }
    assert figures(rec.totals) == (D("19.75"), D("12.80"), D("6.95"), 2)


def test_no_cost_report_for_the_month_says_so(cost_reports):
    rec = reconciliation(date(2026, 1, 1), date(2026, 1, 31))
    assert not rec.available and not rec.usage_imported and rec.rows == []
    assert figures(rec.totals) == (None, None, D(0), 0)


def test_usage_without_a_cost_report_is_not_reconcilable(db):
    from tests.reports.conftest import usage

    usage("wrkspc_A", date(2026, 3, 4), SONNET, "4.00")
    rec, rows = march_rows()
    assert not rec.available and rec.usage_imported
    assert figures(rows[("wrkspc_A", SONNET)]) == (None, D("4.00"), D("-4.00"), 0)


def test_the_report_carries_it_for_its_months_utc_days(cost_reports):
    billed("wrkspc_A", date(2026, 3, 31), SONNET, "1.00", "late")
    rec = monthly_report(MARCH, today=APRIL_15).reconciliation
    assert (rec.since, rec.until) == (date(2026, 3, 1), date(2026, 3, 31))
    assert rec.totals["billed"] == D("20.75")


def test_a_billed_row_whose_usage_has_no_price_stays_out_of_the_total_difference(cost_reports):
    billed("wrkspc_B", date(2026, 3, 3), HAIKU, "2.00")  # billed; its usage is unpriced: no difference
    rec, rows = march_rows()
    assert figures(rows[("wrkspc_B", HAIKU)]) == (D("2.00"), None, None, 1)
    known = [row["difference"] for row in rec.rows if row["difference"] is not None]
    assert rec.totals["difference"] == sum(known) == D("6.95")  # the column adds up (was 8.95)
    assert rec.totals["billed"] == D("21.75")
