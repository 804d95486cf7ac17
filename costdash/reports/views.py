"""The Reports page: a month's report on screen, its exports, the kept files and their downloads.

Admins and billing only: developers (and any other login) get 403, anonymous users the login page.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from costdash.accounts import roles
from costdash.limits.forms import MonthForm
from costdash.limits.selectors import org_today

from .closing import ClosingError, active_close, changes_since_close, month_close, month_events, month_reopen
from .exporters import EXPORTERS
from .exporters.base import display_table
from .formats import CONTENT_TYPES
from .forms import CloseForm, ExportForm
from .models import GeneratedReport, MonthlyRun
from .reconciliation import workspace_label
from .selectors import generated_reports, last_month
from .services import mark_out_of_date, report_download_record, report_generate, report_request
from .tasks import report_build_soon

CHANGE_DIMENSIONS = (("developers", "Developer"), ("teams", "Team"), ("cost_centers", "Cost center"),
                     ("models", "Model"))


def _require_viewer(request) -> None:
    roles.require_sees_all_spend(request.user, "Monthly reports are the org's money: only admins and billing see them.")


@login_required
def report_month(request):
    """?month=YYYY-MM (default: last month, in the org's time zone)."""
    _require_viewer(request)
    today = org_today()
    month_form = MonthForm(request.GET, today=today)
    month = month_form.first_day(default=last_month(today))
    exporter = EXPORTERS["monthly"](month)
    report = exporter.report
    charts = [(chart, f"report-chart-{i}", "chart--auto" if "height" in chart.figure["layout"] else "")
              for i, chart in enumerate(exporter.charts)]
    files = mark_out_of_date(generated_reports())
    close = active_close(month)
    return render(request, "reports/month.html", month_form.page_context(month) | {
        "exporter": exporter, "report": report, "charts": charts,
        "tables": [display_table(sheet) for sheet in exporter.sheets() if sheet.in_pdf],
        "csv_sheets": [(sheet.key, sheet.title) for sheet in exporter.sheets() if sheet.key != "summary"],
        "reconciliation": report.reconciliation,
        "workspaces": [row | {"label": workspace_label(row["workspace"])}
                       for row in report.reconciliation.workspaces],
        "files": files,
        "building": any(not file.finished for file in files),  # the page's script polls until none is
        "runs": MonthlyRun.objects.all()[:12],
        "closable": month <= last_month(today),
        "close_events": month_events(month),
    } | _closing_context(report, close, [sheet.key for sheet in exporter.sheets()]))


def _closing_context(report, close, sheet_keys: list[str]) -> dict:
    """The page's closing parts: the changes since close (a closed month) as rows by dimension, and
    the adjustments (an open month) unless the exports already show them as a sheet of their own."""
    changes = changes_since_close(close) if close else None
    rows = [(label, line) for dimension, label in CHANGE_DIMENSIONS for line in changes["breakdown"][dimension]
            ] if changes else []
    adjustments = [adjustment | {"parts": [(label, adjustment["breakdown"][dimension])
                                           for dimension, label in CHANGE_DIMENSIONS
                                           if adjustment["breakdown"].get(dimension)]}
                   for adjustment in report.adjustments]
    return {"changes": changes, "change_rows": rows, "adjustment_rows": adjustments,
            "show_adjustments": bool(adjustments) and "adjustments" not in sheet_keys}


def _close_action(request, action, verb: str):
    """POST month (YYYY-MM) and note: close or reopen the month, back to its page with what happened."""
    _require_viewer(request)
    form = CloseForm(request.POST, today=org_today())
    if not form.is_valid():
        messages.error(request, f"The month could not be {verb}: " + "; ".join(
            error for errors in form.errors.values() for error in errors))
        return redirect("reports:month")
    month = form.cleaned_data["month"]
    try:
        action(month, request.user, form.cleaned_data["note"])
    except ClosingError as exc:
        messages.error(request, f"{month:%B %Y} could not be {verb}: {exc}")
    else:
        messages.success(request, f"{month:%B %Y} is {verb}." + (
            " Its report, files and API answer now come from the snapshot taken now; its PDF and workbook are "
            "being built." if verb == "closed" else " Its report is computed from the current figures again."))
    return redirect(f"{reverse('reports:month')}?month={month:%Y-%m}")


@login_required
@require_POST
def report_close(request):
    """Close a past, final month (billing and admins): reports.closing.month_close."""
    return _close_action(request, month_close, "closed")


@login_required
@require_POST
def report_reopen(request):
    """Reopen a closed month (billing and admins), recorded: reports.closing.month_reopen."""
    return _close_action(request, month_reopen, "reopened")


@login_required
@require_POST
def report_export(request):
    """A CSV (one table, ~200 ms) is built now and the browser sent to its download. A PDF or workbook
    (seconds; the PDF's charts are drawn by Chromium) is recorded as pending and built on a Celery
    worker: the browser goes back to the month's page, which lists it as building until it is ready.
    A bad request or a failed CSV goes back to the page with its reason."""
    _require_viewer(request)
    form = ExportForm(request.POST, today=org_today())
    if not form.is_valid():
        messages.error(request, "That export could not be made: " + "; ".join(
            error for errors in form.errors.values() for error in errors))
        return redirect("reports:month")
    month, fmt = form.cleaned_data["month"], form.cleaned_data["format"]
    back = f"{reverse('reports:month')}?month={month:%Y-%m}"
    try:
        if fmt != GeneratedReport.Format.CSV:
            report = report_request(month, fmt, requested_by=request.user)
            report_build_soon(report.pk)
            messages.success(request, f"The {report.get_format_display()} is being built: it is listed under "
                                      "Generated files, ready to download in a few seconds.")
            return redirect(back + "#files")
        report = report_generate(month, fmt, sheet=form.cleaned_data["sheet"], requested_by=request.user)
    except ValueError as exc:
        messages.error(request, f"That export could not be made: {exc}.")
        return redirect(back)
    if report.status != GeneratedReport.Status.READY:
        messages.error(request, f"The {report.get_format_display()} could not be built: {report.error}")
        return redirect(back)
    return redirect("reports:download", report_id=report.pk)


@login_required
def report_status(request, report_id: int):
    """A kept file's status, for the Reports page's script (static/js/report_progress.js) while it builds."""
    _require_viewer(request)
    report = get_object_or_404(GeneratedReport, pk=report_id)
    return JsonResponse({"status": report.status, "finished": report.finished, "error": report.error,
                         "download_url": reverse("reports:download", args=[report.pk])
                         if report.status == GeneratedReport.Status.READY else None})


@login_required
def report_download(request, report_id: int):
    """The kept file, as an attachment; every download is recorded with who asked for it."""
    _require_viewer(request)
    report = get_object_or_404(GeneratedReport, pk=report_id)
    if report.status != GeneratedReport.Status.READY or not report.file:
        raise Http404("That report has no file (it failed to build).")
    try:
        handle = report.file.open("rb")
    except FileNotFoundError:
        raise Http404("That report's file is missing from storage.") from None
    report_download_record(report, request.user)
    return FileResponse(handle, as_attachment=True, filename=report.filename,
                        content_type=CONTENT_TYPES[report.format])
