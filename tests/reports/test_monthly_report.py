"""The monthly report's figures: worked by hand (tests/reports/conftest.py) and equal to the
dashboard's own selectors for the same month, to the cent."""
from datetime import date
from decimal import Decimal as D

from django.utils import timezone
import pytest

from costdash.accounts.models import Developer
from costdash.reports.selectors import NO_TEAM, OPEN, RECOMPUTING, last_month, monthly_daily_lines, monthly_report
from costdash.rollups.models import DirtyDay
from costdash.rollups.scope import Scope
from costdash.rollups.selectors import developer_table, overview
from tests.factories import DailyCostFactory, DeveloperFactory
from tests.reports.conftest import APRIL_15, MARCH

pytestmark = pytest.mark.django_db


def by(rows, key):
    return {row[key]: row for row in rows}


def test_developer_rows_worked_by_hand(march):
    report = monthly_report(MARCH, today=APRIL_15)
    assert [row["developer"] for row in report.developers] == ["Bo Brannigan", "Ana", "Cy"]  # by spend
    ana, bo, cy = (by(report.developers, "developer")[name] for name in ("Ana", "Bo Brannigan", "Cy"))
    assert (ana["team"], ana["cost_center"], ana["email"]) == ("Alpha", "CC-100", "ana@example.com")
    assert (ana["spend"], ana["active_days"], ana["average_per_active_day"], ana["p90"]) == (
        D("59.50"), 4, D("14.875"), D("26.35"))
    assert (ana["days_over_ceiling"], ana["requests"], ana["unpriced_requests"]) == (1, 47, 4)
    assert (ana["input_tokens"], ana["output_tokens"], ana["cache_write_5m_tokens"], ana["cache_write_1h_tokens"],
            ana["cache_read_tokens"]) == (600, 0, 200, 100, 3100)
    assert (ana["cache_hit_rate"], ana["main_model"]) == (D("0.775"), "sonnet")
    assert (bo["spend"], bo["active_days"], bo["average_per_active_day"], bo["p90"], bo["days_over_ceiling"]) == (
        D("60"), 4, D("15"), D("27"), 0)  # $30 exactly is not over the $30 ceiling
    assert (bo["requests"], bo["unpriced_requests"], bo["cache_hit_rate"]) == (16, 2, D("0.25"))
    assert (cy["team"], cy["cost_center"], cy["spend"], cy["p90"], cy["cache_hit_rate"], cy["output_tokens"]) == (
        "Gamma", "CC-100", D("12.25"), D("12.25"), D(0), 500)


def test_totals_worked_by_hand(march):
    t = monthly_report(MARCH, today=APRIL_15).totals
    assert (t["spend"], t["developers"], t["active_days"], t["days_over_ceiling"]) == (D("131.75"), 3, 9, 1)
    assert t["average_per_active_day"] == D("131.75") / 9
    assert t["p90"] == D("30.20")
    assert (t["requests"], t["unpriced_requests"], t["input_tokens"], t["output_tokens"], t["cache_read_tokens"]) == (
        69, 6, 1900, 500, 3200)
    assert t["cache_hit_rate"] == D(3200) / D(1900 + 300 + 3200)


def test_teams_and_cost_centers_for_chargeback(march):
    report = monthly_report(MARCH, today=APRIL_15)
    assert [(t["team"], t["cost_center"], t["spend"]) for t in report.teams] == [
        ("Beta", "CC-200", D("60")), ("Alpha", "CC-100", D("59.50")), ("Gamma", "CC-100", D("12.25"))]
    centers = by(report.cost_centers, "cost_center")
    assert (centers["CC-100"]["spend"], centers["CC-100"]["teams"], centers["CC-100"]["developers"]) == (
        D("71.75"), "Alpha, Gamma", 2)
    assert (centers["CC-100"]["active_days"], centers["CC-100"]["p90"]) == (5, D("24.80"))
    assert centers["CC-200"]["spend"] == D("60") and centers["CC-200"]["share"] == D("60") / D("131.75")
    assert sum(t["spend"] for t in report.teams) == sum(c["spend"] for c in report.cost_centers) == D("131.75")


def test_developers_without_a_team_or_cost_center_are_grouped_as_such(db):
    DailyCostFactory(developer=DeveloperFactory(name="Solo", team=None), day=date(2026, 3, 9), cost=D("2.00"))
    report = monthly_report(MARCH, today=APRIL_15)
    assert [(t["team"], t["cost_center"]) for t in report.teams] == [(NO_TEAM, "(no cost center)")]
    assert report.cost_centers[0]["teams"] == NO_TEAM


def test_models_flag_unpriced_ones_never_as_zero(march):
    models = by(monthly_report(MARCH, today=APRIL_15).models, "model")
    assert (models["sonnet"]["spend"], models["opus"]["spend"]) == (D("106.25"), D("25.50"))
    assert (models["mystery-model"]["spend"], models["mystery-model"]["requests"]) == (None, 4)
    assert (models["claude-new"]["spend"], models["claude-new"]["unpriced_requests"]) == (None, 2)
    assert models["sonnet"]["input_tokens"] == 100 + 1000 and models["sonnet"]["cache_read_tokens"] == 2600


def test_sources(march):
    sources = by(monthly_report(MARCH, today=APRIL_15).sources, "source")
    assert sources["claude_code_jsonl"]["spend"] == D("126.25") and sources["otel"]["spend"] == D("5.50")


def test_every_breakdown_adds_up_to_the_total(march):
    report = monthly_report(MARCH, today=APRIL_15)
    total = report.totals["spend"]
    assert sum(row["spend"] for row in report.developers) == total
    assert sum(m["spend"] or 0 for m in report.models) == total
    assert sum(s["spend"] for s in report.sources) == total
    assert sum(row["cost"] for row in report.by_day_model) == total
    assert sum(row["requests"] for row in report.developers) == sum(m["requests"] for m in report.models) == 69


def test_developer_rows_equal_the_developers_page_to_the_cent(march):
    report = monthly_report(MARCH, today=APRIL_15)
    scope = Scope(Developer.objects.all(), date(2026, 3, 1), date(2026, 3, 31))
    page = by(developer_table(scope, ceiling=D("30"))["developers"], "developer_id")
    assert len(page) == len(report.developers) == 3
    for row in report.developers:
        theirs = page[row["developer_id"]]
        for key in ("spend", "active_days", "average_per_active_day", "p90", "days_over_ceiling", "worst_day",
                    "worst_day_cost", "cache_hit_rate", "main_model", "sessions", "team"):
            assert row[key] == theirs[key], key


def test_totals_equal_the_overview_for_the_same_month(march):
    report = monthly_report(MARCH, today=APRIL_15)
    scope = Scope(Developer.objects.all(), date(2026, 3, 1), date(2026, 3, 31))
    page = overview(scope, APRIL_15, average=D("13"), ceiling=D("30"))
    for key in ("spend", "developers", "active_days", "average_per_active_day", "days_over_ceiling", "requests"):
        assert report.totals[key] == page["summary"][key], key
    assert report.totals["p90"] == page["p90"]
    assert report.by_day_model == page["by_model"]  # the daily chart, row for row


def test_a_month_not_over_is_provisional(march):
    report = monthly_report(MARCH, today=date(2026, 3, 20))
    assert report.provisional and report.provisional_reasons == (OPEN,)
    assert report.totals["spend"] == D("131.75")  # everything so far
    assert not monthly_report(MARCH, today=date(2026, 4, 1)).provisional  # its last day is over


def test_a_month_with_days_to_recompute_is_provisional(march):
    DirtyDay.objects.create(developer=march["ana"], day=date(2026, 3, 30), marked_at=timezone.now())
    assert monthly_report(MARCH, today=APRIL_15).provisional_reasons == (RECOMPUTING,)
    assert not monthly_report(date(2026, 2, 1), today=APRIL_15).provisional  # February's days are clean


def test_any_day_names_its_month_and_a_future_month_is_refused(march):
    assert monthly_report(date(2026, 3, 17), today=APRIL_15).month == MARCH
    with pytest.raises(ValueError, match="May 2026 has not started"):
        monthly_report(date(2026, 5, 1), today=APRIL_15)


def test_last_month():
    assert last_month(date(2026, 3, 1)) == date(2026, 2, 1)
    assert last_month(date(2026, 1, 31)) == date(2025, 12, 1)


def test_an_empty_month(db):
    report = monthly_report(MARCH, today=APRIL_15)
    assert report.developers == [] and report.totals["spend"] == 0 and report.totals["p90"] is None
    assert not report.reconciliation.available


def test_daily_lines_stream_the_months_rows(march):
    lines = list(monthly_daily_lines(MARCH))
    assert len(lines) == 11  # team_usage's 11 March rows (its February one left out) + Cy's
    assert [line["developer"] for line in lines[:5]] == ["Ana"] * 5 and lines[0]["day"] == date(2026, 3, 2)
    assert sum(line["cost"] for line in lines) == D("131.75")
    cy = lines[-1]
    assert (cy["developer"], cy["team"], cy["cost_center"], cy["requests"], cy["output_tokens"]) == (
        "Cy", "Gamma", "CC-100", 6, 500)
