"""The Reports page's FOCUS export: the month as a FinOps FOCUS 1.0 CSV (exporters/focus.py), kept
like every file (GeneratedReport kind "focus", a CSV) and built on a Celery worker: a month of a large
org is ~100k rows, seconds to write. Admins and billing only, as the page."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from costdash.accounts import roles
from costdash.limits.forms import MonthForm
from costdash.limits.selectors import org_today

from .exporters.focus import SHEET
from .services import report_request
from .tasks import report_build_soon


@login_required
@require_POST
def report_focus_export(request):
    """POST month=YYYY-MM: record the month's FOCUS file as pending, queue its build, and go back to the
    month's page, which lists it under Generated files until it is ready to download."""
    roles.require_sees_all_spend(request.user, "Monthly reports are the org's money: only admins and billing see them.")
    form = MonthForm(request.POST, today=org_today())
    month = form.cleaned_data.get("month") if form.is_valid() else None
    if month is None:
        messages.error(request, "That export could not be made: choose a month (YYYY-MM), up to this one.")
        return redirect("reports:month")
    report = report_request(month, "csv", sheet=SHEET, kind="focus", requested_by=request.user)
    report_build_soon(report.pk)
    messages.success(request, "The FOCUS file is being built: it is listed under Generated files, ready to "
                              "download in a few seconds.")
    return redirect(f"{reverse('reports:month')}?month={month:%Y-%m}#files")
