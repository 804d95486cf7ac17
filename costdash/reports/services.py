"""Writes: build and keep a report file, record a download.

Every file is kept (GeneratedReport) with who asked for it (None: the schedule) and every download
(ReportDownload). A failed build is kept too, with its error, and shown on the Reports page.
"""
from __future__ import annotations

from datetime import date
import logging
import tempfile

from django.core.files import File
from django.utils import timezone

from .exporters import EXPORTERS
from .exporters.base import Exporter
from .formats import ONE_SHEET, WRITERS
from .models import GeneratedReport, MonthlyRun, ReportDownload

log = logging.getLogger(__name__)


def report_generate(
    month: date, fmt: str, *, sheet: str = "", requested_by=None, run: MonthlyRun | None = None,
    kind: str = "monthly", exporter: Exporter | None = None,
) -> GeneratedReport:
    """Build ``kind``'s report of ``month`` in ``fmt`` (``sheet``: the breakdown, for CSV) and keep
    the file. Returns the GeneratedReport: READY, or FAILED with its error (never raises for a
    failed build). An unknown format or sheet, or a month not started, is a ValueError.
    ``exporter``: the month's exporter when the caller already built it (several formats at once)."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown format {fmt!r}")
    exporter = exporter or EXPORTERS[kind](month)
    if fmt in ONE_SHEET:
        sheet = sheet or exporter.sheet_keys()[0]
        if sheet not in exporter.sheet_keys():
            raise ValueError(f"unknown breakdown {sheet!r}")
    else:
        sheet = ""
    report = GeneratedReport.objects.create(
        kind=kind, month=month.replace(day=1), format=fmt, sheet=sheet, provisional=exporter.provisional,
        requested_by=requested_by, run=run,
    )
    try:
        with tempfile.TemporaryFile(prefix="costdash-report-") as out:
            WRITERS[fmt](exporter, out, sheet)
            out.seek(0)
            report.file.save(report.filename, File(out), save=False)
        report.size, report.status = report.file.size, GeneratedReport.Status.READY
    except Exception as exc:  # noqa: BLE001 - a failed build is data: kept and shown
        log.exception("report %s could not be built", report)
        report.status, report.error = GeneratedReport.Status.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
    report.finished_at = timezone.now()
    report.save(update_fields=["file", "size", "status", "error", "finished_at"])
    return report


def report_download_record(report: GeneratedReport, user) -> ReportDownload:
    return ReportDownload.objects.create(report=report, user=user if user.is_authenticated else None)
