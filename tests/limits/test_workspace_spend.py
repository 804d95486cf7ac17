"""A workspace's spend: what Anthropic billed where it has, else the usage report priced by us.

Figures by hand from the workspace_reports fixture (tests/limits/conftest.py), as of March 10:
billed March 1–7: 7 × $4.00 = $28.00; priced March 8 $3.90, March 9 $3.90 (its daily bucket, not
the hourly $3.00 beside it), March 10 $0.60 + $0.40 = $1.00. To date: $28.00 + $8.80 = $36.80.
Burn window March 3–9: 5 × $4.00 + $3.90 + $3.90 = $27.80 → $27.80/7 a day; projection: $36.80 +
21 × $27.80 / 7 = $36.80 + $83.40 = $120.20.
"""
from datetime import date
from decimal import Decimal

import pytest

from costdash.accounts.models import OrgSettings
from costdash.lib.money import to_cents
from costdash.limits.selectors import OK, OVER, PROJECTION, WARNING, limits_status
from costdash.rollups.selectors.limits import BILLED, PRICED, known_workspaces, workspace_daily_spend
from tests.limits.conftest import MARCH_10, billed, usage, utc, workspace_limit

pytestmark = pytest.mark.django_db
D = Decimal


def test_billed_days_then_priced_days(workspace_reports):
    workspace_limit("wrkspc_A", "100")
    [status] = limits_status(MARCH_10)
    assert status.spend == D("36.80")
    assert to_cents(status.burn_rate) == D("3.97")  # 27.80 / 7 = 3.9714…
    assert to_cents(status.projected) == D("120.20")
    assert (status.basis, status.billed_days, status.priced_days) == ("billed + priced", 7, 3)
    assert status.unpriced == 1  # the March 10 02:00Z row: left out, not $0
    assert (status.status, status.reasons) == (WARNING, (PROJECTION,))  # $36.80 < $80; $120.20 > $100
    # Running: $28.00 (Mar 7), $31.90, $35.80, $36.80 (Mar 10); then +3.9714/day: 100 − 36.80 = 63.20
    # → 15.9 → 16 days → March 26.
    assert status.hit_day == date(2026, 3, 26)


def test_each_day_says_where_it_came_from(workspace_reports):
    spend = workspace_daily_spend(["wrkspc_A"], date(2026, 3, 1), MARCH_10)["wrkspc_A"]
    assert spend.daily[date(2026, 3, 1)] == D("4.00") and spend.basis[date(2026, 3, 1)] == BILLED
    assert spend.daily[date(2026, 3, 9)] == D("3.90") and spend.basis[date(2026, 3, 9)] == PRICED
    assert spend.daily[MARCH_10] == D("1.00") and spend.basis[MARCH_10] == PRICED
    assert spend.unpriced == {MARCH_10: 1}


def test_days_are_anthropics_utc_days_whatever_the_org_time_zone(workspace_reports):
    # 00:00Z–02:00Z on March 10 is still March 9 in Los Angeles; Anthropic's day is the UTC day.
    org = OrgSettings.get()
    org.time_zone = "America/Los_Angeles"
    org.save()
    spend = workspace_daily_spend(["wrkspc_A"], date(2026, 3, 1), MARCH_10)["wrkspc_A"]
    assert spend.daily[MARCH_10] == D("1.00") and spend.daily[date(2026, 3, 9)] == D("3.90")


def test_only_billed(workspace_reports):
    workspace_limit("wrkspc_B", "40")
    [status] = limits_status(MARCH_10)
    # $50 billed on March 2 > $40; nothing else; the rows with no workspace ($80) are no one's.
    assert (status.spend, status.basis, status.status, status.hit_day) == (D("50.00"), "billed", OVER, date(2026, 3, 2))


def test_only_priced_usage(db):
    usage("Claude Code", utc(date(2026, 3, 4)), "1d", "12.50")  # a Console export names it by display name
    usage("Claude Code", utc(date(2026, 3, 5)), "1d", "7.50")
    workspace_limit("Claude Code", "500")
    [status] = limits_status(MARCH_10)
    # $20 to date; burn March 3–9 = $20/7; projection $20 + 21 × 20/7 = $80.
    assert (status.spend, status.basis, status.billed_days, status.priced_days) == (D("20.00"), "priced", 0, 2)
    assert to_cents(status.projected) == D("80.00") and status.status == OK


def test_nothing_imported_for_the_workspace(workspace_reports):
    workspace_limit("wrkspc_nothing", "10")
    [status] = limits_status(MARCH_10)
    assert (status.spend, status.basis, status.status) == (D(0), "none", OK)


def test_a_past_month_of_a_workspace(workspace_reports):
    billed("wrkspc_A", date(2026, 2, 27), "30.00")
    usage("wrkspc_A", utc(date(2026, 2, 28)), "1d", "5.00")
    workspace_limit("wrkspc_A", "40")
    [status] = limits_status(MARCH_10, date(2026, 2, 1))
    # February: $30 billed + $5 priced = $35 ≥ 0.8 × $40 = $32; no projection in a finished month.
    assert (status.spend, status.final, status.projected, status.basis) == (D("35.00"), True, None, "billed + priced")
    assert status.status == WARNING and status.hit_day is None


def test_known_workspaces_from_both_reports(workspace_reports):
    assert known_workspaces() == ["wrkspc_A", "wrkspc_B"]
