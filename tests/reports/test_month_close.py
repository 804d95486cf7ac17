"""Closing a month: the snapshot, what changes after it, adjustments, reopening, files out of date.

March 2026 through the real import path (Claude Code transcripts, tests/ingest/transcripts.py):
Ana (Alpha, CC-1) sonnet-4-6 March 2, output 200,000 + 4 input + 1,000 reads = $3.000312; Bo (Beta, CC-2)
March 5, claude-mystery-9 (no price: unpriced), output 7,000. After the close: a late Ana line on
March 20 (100,000 output of sonnet: $1.50) and a price for claude-mystery-9 ($10 / MTok out: Bo's
7,000 tokens become $0.07). Changed since close: +$1.57 = Ana/Alpha/CC-1/sonnet +$1.50 and
Bo/Beta/CC-2/claude-mystery-9 +$0.07. April (open) carries it as an adjustment.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
import io

from django.core import mail
from django.core.exceptions import PermissionDenied
import openpyxl
import pytest

from costdash.accounts.models import Developer, Team
from costdash.ingest.services import usage_events_reprice, usage_import
from costdash.pricing.models import ModelPrice
from costdash.reports.closing import (
    ClosingError,
    active_close,
    adjustments_into,
    changes_since_close,
    month_close,
    month_reopen,
)
from costdash.reports.exporters import EXPORTERS
from costdash.reports.models import GeneratedReport, MonthClose, MonthCloseEvent
from costdash.reports.selectors import monthly_daily_lines, monthly_report, monthly_report_live
from costdash.reports.services import mark_out_of_date, monthly_report_send, report_build, report_generate
from costdash.reports.snapshot import decode, encode
from costdash.rollups.models import DirtyDay
from costdash.rollups.services import daily_cost_mark_dirty, daily_cost_recompute_dirty
from tests.factories import DeveloperFactory, TeamFactory
from tests.ingest.transcripts import assistant_line, write_jsonl
from tests.reports.conftest import billing_member

pytestmark = pytest.mark.django_db
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)
MYSTERY = "claude-mystery-9"


def transcript(tmp_path, name: str, email: str, lines: list[dict]) -> None:
    batch = usage_import([write_jsonl(tmp_path / name, lines)], developer_email=email)
    assert batch.status == "done", batch.failure
    daily_cost_recompute_dirty()


@pytest.fixture
def march(tmp_path):
    DeveloperFactory(email="ana@example.com", name="Ana", team=TeamFactory(name="Alpha"))
    DeveloperFactory(email="bo@example.com", name="Bo", team=TeamFactory(name="Beta"))
    Team.objects.filter(name="Alpha").update(cost_center="CC-1")
    Team.objects.filter(name="Beta").update(cost_center="CC-2")
    transcript(tmp_path, "ana.jsonl", "ana@example.com", [
        assistant_line(msg="a1", req="a1", ts="2026-03-02T10:00:00Z", session="a", output=200_000)])
    transcript(tmp_path, "bo.jsonl", "bo@example.com", [
        assistant_line(msg="b1", req="b1", ts="2026-03-05T10:00:00Z", session="b", model=MYSTERY, output=7_000,
                       input_tokens=0, read=0)])
    assert monthly_report_live(MARCH).totals["spend"] == D("3.000312")
    return tmp_path


def change_march(tmp_path) -> None:
    """A late import into March and a price that reprices it: +$1.57."""
    before = monthly_report_live(MARCH).totals["spend"]
    transcript(tmp_path, "late.jsonl", "ana@example.com", [
        assistant_line(msg="a2", req="a2", ts="2026-03-20T10:00:00Z", session="c", output=100_000, input_tokens=0,
                       read=0)])
    ModelPrice.objects.create(model=MYSTERY, input=D(1), output=D(10), cache_write_5m=D(1), cache_write_1h=D(2),
                              cache_read=D("0.1"))
    assert usage_events_reprice([MYSTERY]) == 1  # what saving a price in the admin runs
    daily_cost_recompute_dirty()
    assert monthly_report_live(MARCH).totals["spend"] == before + D("1.57")


def csv_bytes(month: date, sheet: str) -> bytes:
    report = report_generate(month, "csv", sheet=sheet)
    assert report.status == "ready", report.error
    with report.file.open("rb") as handle:
        return handle.read()


def xlsx_cells(report: GeneratedReport) -> dict:
    with report.file.open("rb") as handle:
        book = openpyxl.load_workbook(io.BytesIO(handle.read()), read_only=True)
    return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def lines(changes: dict, dimension: str) -> list[tuple]:
    return [(line["name"], line["change"]) for line in changes["breakdown"][dimension]]


def test_the_snapshot_decodes_equal_to_the_report_it_was_taken_from(march):
    live = monthly_report_live(MARCH)
    assert decode(encode(live.__dict__)) == live.__dict__  # every table, Decimal and tuple as it was
    assert isinstance(encode(live.totals)["spend"]["$decimal"], str)  # money as a decimal string
    with pytest.raises(TypeError):
        encode(object())


def test_close_keeps_the_report_rates_precedence_and_lines(march, billing_user):
    live = monthly_report_live(MARCH)
    close = month_close(MARCH, billing_user, "March books")
    closed = monthly_report(MARCH)
    assert closed.closed["closed_by"] == "billing" and closed.closed["note"] == "March books"
    assert replace(closed, closed=None, today=live.today) == live  # the whole report, exactly
    closed_lines = list(monthly_daily_lines(MARCH))
    assert all("dimensions" in line for line in closed_lines)  # each line's chargeback dimensions as closed
    assert [{k: v for k, v in line.items() if k != "dimensions"} for line in closed_lines] == list(
        monthly_daily_lines_live_of(MARCH))
    assert close.lines == 2
    sonnet = [r for r in close.rates if r["model"] == "claude-sonnet-4-6"]
    assert sonnet and sonnet[0]["output"] == "15.000000"
    assert close.precedence["aggregates"][0] == "otel_metrics" and "otel" in close.precedence["per_request"]
    assert [(e.action, e.user.username, e.note) for e in MonthCloseEvent.objects.all()] == [
        ("close", "billing", "March books")]
    assert sorted(close.files.values_list("format", flat=True)) == ["pdf", "xlsx"]  # made at close


def monthly_daily_lines_live_of(month):
    from costdash.reports.selectors import monthly_daily_lines_live

    return monthly_daily_lines_live(month)


def test_a_closed_month_does_not_move_and_the_change_is_reported_and_carried(march, billing_user):
    close = month_close(MARCH, billing_user)
    made_at_close = report_build(close.files.get(format="xlsx").pk)
    before = {sheet: csv_bytes(MARCH, sheet) for sheet in ("developers", "teams", "models", "daily")}
    assert changes_since_close(close)["changed"] is False and adjustments_into(APRIL) == []

    change_march(march)

    closed = monthly_report(MARCH)
    assert closed.totals["spend"] == D("3.000312") and not closed.provisional
    assert {sheet: csv_bytes(MARCH, sheet) for sheet in before} == before  # the files, byte for byte
    again = report_generate(MARCH, "xlsx")
    assert xlsx_cells(again) == xlsx_cells(made_at_close)

    changes = changes_since_close(active_close(MARCH))
    assert (changes["at_close"], changes["now"], changes["amount"], changes["changed"]) == (
        D("3.000312"), D("4.570312"), D("1.57"), True)
    assert lines(changes, "developers") == [("Ana", D("1.50")), ("Bo", D("0.07"))]
    assert lines(changes, "teams") == [("Alpha", D("1.50")), ("Beta", D("0.07"))]
    assert lines(changes, "cost_centers") == [("CC-1", D("1.50")), ("CC-2", D("0.07"))]
    assert lines(changes, "models") == [("claude-sonnet-4-6", D("1.50")), (MYSTERY, D("0.07"))]

    april = monthly_report(APRIL)  # the next open month carries it
    assert [(a["month"], a["amount"]) for a in april.adjustments] == [(MARCH, D("1.57"))]
    assert [(line["name"], line["change"]) for line in april.adjustments[0]["breakdown"]["models"]] == [
        ("claude-sonnet-4-6", D("1.50")), (MYSTERY, D("0.07"))]
    assert april.totals["spend"] == 0  # an adjustment line, not April's own spend


def test_reopen_is_recorded_and_a_new_close_equals_the_live_figures(march, admin_user, billing_user):
    month_close(MARCH, billing_user)
    change_march(march)
    reopened = month_reopen(MARCH, admin_user, "late import")
    assert (reopened.reopened_by, reopened.reopened_at is not None) == (admin_user, True)
    assert monthly_report(MARCH).closed is None and monthly_report(MARCH).totals["spend"] == D("4.570312")
    assert adjustments_into(APRIL) == []  # open again: no adjustment
    again = month_close(MARCH, billing_user, "closed again")
    assert monthly_report(MARCH).totals["spend"] == D("4.570312")
    assert changes_since_close(again)["changed"] is False
    assert MonthClose.objects.filter(month=MARCH).count() == 2  # the first close kept, reopened
    assert [(e.action, e.user.username, e.note) for e in MonthCloseEvent.objects.order_by("at", "pk")] == [
        ("close", "billing", ""), ("reopen", "admin", "late import"), ("close", "billing", "closed again")]


def test_a_change_carried_by_a_closed_month_is_not_carried_twice(march, billing_user):
    month_close(MARCH, billing_user)
    change_march(march)
    month_close(APRIL, billing_user)  # April's snapshot carries March's +$1.57
    assert [a["amount"] for a in monthly_report(APRIL).adjustments] == [D("1.57")]
    may = date(2026, 5, 1)
    assert monthly_report(may).adjustments == []  # already carried by April
    # March reopened and closed again at $4.57: the +$1.57 April carried is reversed in May.
    month_reopen(MARCH, billing_user)
    month_close(MARCH, billing_user)
    assert [(a["month"], a["amount"]) for a in monthly_report(may).adjustments] == [(MARCH, D("-1.57"))]


def test_only_a_past_final_month_not_already_closed_can_be_closed(march, billing_user, developer_user):
    with pytest.raises(PermissionDenied):
        month_close(MARCH, developer_user)
    with pytest.raises(ClosingError, match="not over yet"):
        month_close(date.today().replace(day=1), billing_user)
    daily_cost_mark_dirty([(Developer.objects.get(email="ana@example.com").pk, date(2026, 3, 2))])
    with pytest.raises(ClosingError, match="provisional"):
        month_close(MARCH, billing_user)
    DirtyDay.objects.all().delete()
    month_close(MARCH, billing_user)
    with pytest.raises(ClosingError, match="already closed"):
        month_close(MARCH, billing_user)
    with pytest.raises(ClosingError, match="not closed"):
        month_reopen(APRIL, billing_user)
    assert MonthClose.objects.count() == 1 and MonthCloseEvent.objects.count() == 1


def test_files_made_before_a_change_are_out_of_date(march, billing_user):
    early = report_generate(MARCH, "csv", sheet="developers")  # before the late import
    transcript(march, "late.jsonl", "ana@example.com", [
        assistant_line(msg="a3", req="a3", ts="2026-03-21T10:00:00Z", session="d", output=1000)])
    april = report_generate(APRIL, "csv", sheet="developers")
    assert mark_out_of_date([early])[0].out_of_date is True  # an open month: its figures moved
    month_close(MARCH, billing_user)
    at_close = report_generate(MARCH, "csv", sheet="developers")
    assert [f.out_of_date for f in mark_out_of_date([early, at_close, april])] == [True, False, False]
    change_march(march)
    # A closed month's files come from its snapshot: never out of date after the close; April carries
    # March's change as an adjustment, so April's file made before it is.
    assert [f.out_of_date for f in mark_out_of_date([early, at_close, april])] == [True, False, True]


def test_the_billing_email_says_which_closed_month_changed(march, billing_user, settings):
    billing_member("bill", "bill@example.com")
    month_close(MARCH, billing_user)
    change_march(march)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monthly_report_send(APRIL)  # the April report (PDF drawn by Chromium)
    body = mail.outbox[-1].body
    assert "March 2026: changed since close: +$1.57" in body
    assert "by developer: Ana +$1.50, Bo +$0.07" in body and "by model: claude-sonnet-4-6 +$1.50" in body


def test_the_next_open_months_files_carry_the_adjustment_line(march, billing_user):
    month_close(MARCH, billing_user)
    change_march(march)
    text = csv_bytes(APRIL, "adjustments").decode()
    assert "March 2026" in text and "1.57" in text and "Ana +$1.50" in text
    assert "adjustments" not in [s.key for s in EXPORTERS["monthly"](MARCH).sheets()]  # March has none


def test_the_reports_page_closes_shows_the_change_and_reopens(march, client, billing_user):
    client.force_login(billing_user)
    page = client.get("/reports/?month=2026-03").content.decode()
    assert "Close March 2026" in page and 'id="month-status">Final' in page
    response = client.post("/reports/close/", {"month": "2026-03", "note": "books"}, follow=True)
    page = response.content.decode()
    assert "March 2026 is closed" in page and 'id="month-status">Closed' in page and "Closed by billing" in page
    assert "changed-since-close" not in page
    change_march(march)
    page = client.get("/reports/?month=2026-03").content.decode()
    assert "Changed since close: +$1.57" in page and 'id="changes-since-close"' in page
    assert "$3.00" in page  # the report itself: the snapshot's figures
    april = client.get("/reports/?month=2026-04").content.decode()
    assert "Adjustments to closed months" in april and "+$1.57" in april
    response = client.post("/reports/close/", {"month": "2026-03"}, follow=True)
    assert "could not be closed: March 2026 is already closed" in response.content.decode()
    response = client.post("/reports/reopen/", {"month": "2026-03", "note": "late import"}, follow=True)
    page = response.content.decode()
    assert "March 2026 is reopened" in page and 'id="month-status">Final' in page and "late import" in page
    assert MonthCloseEvent.objects.filter(action="reopen", user=billing_user, note="late import").exists()


def test_developers_may_not_close_or_reopen(march, client, developer_user):
    client.force_login(developer_user)
    assert client.post("/reports/close/", {"month": "2026-03"}).status_code == 403
    assert client.post("/reports/reopen/", {"month": "2026-03"}).status_code == 403
    assert not MonthClose.objects.exists()


def test_the_api_closes_answers_from_the_snapshot_and_reopens(march, billing_user, developer_user, admin_user):
    from rest_framework.test import APIClient

    from costdash.api.services import api_token_create

    def client_for(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='t')[1]}")
        return client

    developer, billing = client_for(developer_user), client_for(billing_user)
    assert developer.post("/api/v1/reports/2026-03/close/", {}).status_code == 403
    assert billing.get("/api/v1/reports/2026-03/close/").status_code == 404  # never closed
    early = billing.post("/api/v1/reports/2026-03/files/", {"format": "csv", "sheet": "developers"}).json()
    created = billing.post("/api/v1/reports/2026-03/close/", {"note": "books"}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["closed"], body["closed_by"], body["note"], body["lines"]) == (True, "billing", "books", 2)
    assert sorted(f["format"] for f in body["files"]) == ["pdf", "xlsx"]
    assert body["precedence"]["aggregates"][0] == "otel_metrics" and body["rates"]
    again = billing.post("/api/v1/reports/2026-03/close/", {}, format="json")
    assert again.status_code == 409 and "already closed" in again.json()["detail"]
    now = billing.post(f"/api/v1/reports/{date.today():%Y-%m}/close/", {}, format="json")
    assert now.status_code == 409 and "not over yet" in now.json()["detail"]

    change_march(march)
    report = billing.get("/api/v1/reports/2026-03/").json()
    assert (report["closed"], report["closed_by"], report["totals"]["spend"]) == (True, "billing", "3.000312")
    changes = report["changes_since_close"]
    assert (changes["amount"], changes["at_close"], changes["now"]) == ("1.57", "3.000312", "4.570312")
    assert [(line["name"], line["change"]) for line in changes["breakdown"]["cost_centers"]] == [
        ("CC-1", "1.50"), ("CC-2", "0.07")]
    april = billing.get("/api/v1/reports/2026-04/").json()
    assert (april["closed"], april["changes_since_close"]) == (False, None)
    assert [(a["month"], a["amount"]) for a in april["adjustments"]] == [("2026-03-01", "1.57")]
    files = {f["id"]: f for f in billing.get("/api/v1/reports/2026-03/files/").json()["results"]}
    # Made before the close from the figures the snapshot holds: still current, the change after the close
    # does not touch a closed month's files.
    assert files[early["id"]]["out_of_date"] is False
    april_file = billing.post("/api/v1/reports/2026-04/files/", {"format": "csv", "sheet": "developers"}).json()
    assert april_file["out_of_date"] is False
    assert billing.get("/api/v1/reports/2026-03/close/").json()["changes_since_close"]["amount"] == "1.57"

    assert developer.post("/api/v1/reports/2026-03/reopen/", {}).status_code == 403
    reopened = client_for(admin_user).post("/api/v1/reports/2026-03/reopen/", {"note": "fix"}, format="json")
    assert reopened.status_code == 200 and reopened.json()["closed"] is False
    assert [e["action"] for e in reopened.json()["events"]] == ["reopen", "close"]
    assert billing.get("/api/v1/reports/2026-03/").json()["totals"]["spend"] == "4.570312"
    assert billing.post("/api/v1/reports/2026-03/reopen/", {}).status_code == 409
