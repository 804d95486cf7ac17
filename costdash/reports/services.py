"""Writes: build and keep a report file, record a download, and the monthly schedule's one e-mail.

Every file is kept (GeneratedReport) with who asked for it (None: the schedule) and every download
(ReportDownload). A failed build is kept too, with its error, and shown on the Reports page.

A web request never builds a PDF or a workbook (seconds of CPU, Chromium for the charts): it records
the report as pending (report_request) and queues its build (tasks.report_build_soon); a Celery worker
claims and builds it (report_build), and the beat's sweep re-queues one whose enqueue was lost or whose
worker died (reports_build_stuck). A CSV (one table, ~200 ms) and the schedule's files (already on a
worker) are built in-process (report_generate).

The schedule sends a month's report once: MonthlyRun is unique per month and is claimed by a
compare-and-swap on its status, so a second run of the job (a retry, a second worker, the day-2
catch-up) finds it sent, or in the hands of another worker, and does nothing. A claim older than
STALE_CLAIM (a worker that died mid-way) may be taken over; a worker that dies between handing the
message to the mail server and recording it can therefore, at worst, cause one repeat.
"""
from __future__ import annotations

from datetime import date, timedelta
import logging
import tempfile

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.mail import EmailMessage
from django.db.models import F, Q
from django.utils import timezone

from costdash.accounts.roles import BILLING
from costdash.lib.money import to_cents, usd
from costdash.limits.selectors import org_today

from .closing import active_closes, closed_months_changed, figures_fingerprint
from .exporters import EXPORTERS
from .exporters.base import Exporter
from .formats import CONTENT_TYPES, ONE_SHEET, WRITERS
from .models import GeneratedReport, MonthlyRun, ReportDownload
from .selectors import last_month

log = logging.getLogger(__name__)
STALE_CLAIM = timedelta(hours=1)
STALE_BUILD = timedelta(minutes=30)  # a build claimed this long ago lost its worker (a PDF takes seconds)
LOST_ENQUEUE = timedelta(minutes=2)  # a pending build this old never reached a worker (the broker was down)
MAX_ATTEMPTS = 3  # builds started before a report whose worker keeps dying is failed
DUE_DAYS = 2  # the beat's runs on the 1st and 2nd (UTC) fall on these days of the org's month
# What the monthly e-mail carries: the printable summary and the workbook with every breakdown.
SCHEDULED_FORMATS = ("pdf", "xlsx")


def report_request(
    month: date, fmt: str, *, sheet: str = "", requested_by=None, run: MonthlyRun | None = None,
    kind: str = "monthly", exporter: Exporter | None = None,
) -> GeneratedReport:
    """Record a PENDING report of ``kind``'s ``month`` in ``fmt`` (``sheet``: the breakdown, for CSV),
    built later by report_build. An unknown format or sheet is a ValueError (nothing recorded). Only a
    one-sheet format reads the month (its breakdowns' names): ``exporter`` when the caller has it."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown format {fmt!r}")
    if fmt in ONE_SHEET:
        keys = (exporter or EXPORTERS[kind](month)).sheet_keys()
        sheet = sheet or keys[0]
        if sheet not in keys:
            raise ValueError(f"unknown breakdown {sheet!r}")
    else:
        sheet = ""
    return GeneratedReport.objects.create(kind=kind, month=month.replace(day=1), format=fmt, sheet=sheet,
                                          requested_by=requested_by, run=run)


def report_claim(report_id: int) -> bool:
    """Take the report's build: True for exactly one caller, when it is pending, or building under a
    claim older than STALE_BUILD (its worker died) and tried fewer than MAX_ATTEMPTS times."""
    now = timezone.now()
    free = Q(status=GeneratedReport.Status.PENDING) | Q(
        status=GeneratedReport.Status.BUILDING, claimed_at__lt=now - STALE_BUILD, attempts__lt=MAX_ATTEMPTS)
    return bool(GeneratedReport.objects.filter(free, pk=report_id).update(
        status=GeneratedReport.Status.BUILDING, claimed_at=now, attempts=F("attempts") + 1))


def report_build(report_id: int, *, exporter: Exporter | None = None) -> GeneratedReport:
    """Claim and build a pending report, keep its file. Returns the report as it stands: READY or
    FAILED (with its error) by this call, or untouched when another caller has it or had it (never
    raises for a failed build). ``exporter``: the month's, when the caller already built it."""
    claimed = report_claim(report_id)
    report = GeneratedReport.objects.get(pk=report_id)
    if not claimed:
        return report
    try:
        # Before the figures are read: a change landing during the build marks the file out of date.
        report.fingerprint = figures_fingerprint(report.month)
        exporter = exporter or EXPORTERS[report.kind](report.month)
        report.provisional = exporter.provisional  # before the file is named after it
        with tempfile.TemporaryFile(prefix="costdash-report-") as out:
            WRITERS[report.format](exporter, out, report.sheet)
            out.seek(0)
            report.file.save(report.filename, File(out), save=False)
        report.size, report.status = report.file.size, GeneratedReport.Status.READY
    except Exception as exc:  # noqa: BLE001 - a failed build is data: kept and shown
        log.exception("report %s could not be built", report)
        report.status, report.error = GeneratedReport.Status.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
    report.finished_at = timezone.now()
    report.save(update_fields=["file", "size", "provisional", "status", "error", "finished_at", "fingerprint"])
    return report


def mark_out_of_date(files: list[GeneratedReport]) -> list[GeneratedReport]:
    """Set ``out_of_date`` on each file: True when its month's figures (closing.figures_fingerprint:
    live for an open month, the snapshot for a closed one) are no longer those it was built from,
    None when unknown (not built yet, or built before fingerprints). One query per month listed."""
    closes, current = active_closes(), {}
    for file in files:
        if not file.fingerprint or file.status != GeneratedReport.Status.READY:
            file.out_of_date = None
            continue
        if file.month not in current:
            current[file.month] = figures_fingerprint(file.month, closes)
        file.out_of_date = file.fingerprint != current[file.month]
    return files


def report_generate(
    month: date, fmt: str, *, sheet: str = "", requested_by=None, run: MonthlyRun | None = None,
    kind: str = "monthly", exporter: Exporter | None = None,
) -> GeneratedReport:
    """Record and build a report here and now (a CSV asked for on the page or the API; the schedule's
    files, on a worker already): report_request, then report_build. Returns it READY or FAILED."""
    exporter = exporter or EXPORTERS[kind](month)
    report = report_request(month, fmt, sheet=sheet, requested_by=requested_by, run=run, kind=kind,
                            exporter=exporter)
    return report_build(report.pk, exporter=exporter)


def reports_build_stuck() -> tuple[list[int], int]:
    """For the beat's sweep: the reports whose build should be queued again (pending longer than
    LOST_ENQUEUE: the enqueue was lost; building under a stale claim: the worker died), and how many
    were failed instead, their worker having died MAX_ATTEMPTS times."""
    now = timezone.now()
    stale = Q(status=GeneratedReport.Status.BUILDING, claimed_at__lt=now - STALE_BUILD)
    gave_up = GeneratedReport.objects.filter(stale, attempts__gte=MAX_ATTEMPTS).update(
        status=GeneratedReport.Status.FAILED, finished_at=now,
        error=f"The build stopped {MAX_ATTEMPTS} times without finishing (its worker was stopped or ran out of "
              "memory). Ask for it again; if it keeps failing, see the worker's log.")
    again = GeneratedReport.objects.filter(
        Q(status=GeneratedReport.Status.PENDING, created_at__lt=now - LOST_ENQUEUE) | stale)
    return list(again.values_list("pk", flat=True)), gave_up


def report_download_record(report: GeneratedReport, user) -> ReportDownload:
    return ReportDownload.objects.create(report=report, user=user if user.is_authenticated else None)


def billing_recipients() -> list[str]:
    """The addresses of active members of the "billing" group, sorted. Admins get the e-mail only
    when they are in the billing group too: it goes to the people who close the month."""
    users = get_user_model().objects.filter(is_active=True, groups__name=BILLING).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def monthly_run_claim(run_id: int) -> bool:
    """Take the run if nobody has it and it is not sent: True for exactly one caller at a time."""
    now = timezone.now()
    free = Q(status__in=[MonthlyRun.Status.PENDING, MonthlyRun.Status.FAILED]) | Q(
        status=MonthlyRun.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    return bool(MonthlyRun.objects.filter(free, pk=run_id).update(
        status=MonthlyRun.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1, error=""))


def monthly_report_send(month: date | None = None) -> MonthlyRun | None:
    """The monthly job: e-mail ``month``'s report to the billing users, once. Without a month (the
    beat): the month before the org's today, only in the first DUE_DAYS days of the org's month (beat
    runs at a UTC hour, when in a zone behind UTC the month may not be over yet: that run is not due,
    returns None, and the next one sends it). Builds the SCHEDULED_FORMATS (reusing files an earlier
    failed attempt kept), then sends one message with them attached. Returns the run as it stands:
    SENT by this call or an earlier one, SENDING in another worker's hands, or FAILED with its error
    (a mail server error is re-raised after it is recorded, so the task retries)."""
    if month is None:
        today = org_today()
        if today.day > DUE_DAYS:
            return None
        month = last_month(today)
    month = month.replace(day=1)
    run, _ = MonthlyRun.objects.get_or_create(month=month)
    if not monthly_run_claim(run.pk):
        run.refresh_from_db()
        return run
    try:
        exporter = EXPORTERS["monthly"](month)
        reports = _scheduled_files(run, exporter)
        failed = [r for r in reports if r.status != GeneratedReport.Status.READY]
        if failed:
            return _run_failed(run, "; ".join(f"{r.format}: {r.error}" for r in failed))
        recipients = billing_recipients()
        if not recipients:
            return _run_failed(run, "No one to send it to: no active member of the billing group has an e-mail "
                                    "address. The files are kept on the Reports page.")
        _message(exporter, reports, recipients).send()
    except Exception as exc:
        _run_failed(run, f"{type(exc).__name__}: {exc}")
        raise
    MonthlyRun.objects.filter(pk=run.pk).update(status=MonthlyRun.Status.SENT, sent_at=timezone.now(),
                                                recipients=recipients)
    run.refresh_from_db()
    return run


def _scheduled_files(run: MonthlyRun, exporter: Exporter) -> list[GeneratedReport]:
    kept = {r.format: r for r in run.reports.filter(status=GeneratedReport.Status.READY)}
    return [kept.get(fmt) or report_generate(run.month, fmt, run=run, exporter=exporter) for fmt in SCHEDULED_FORMATS]


def _run_failed(run: MonthlyRun, error: str) -> MonthlyRun:
    log.warning("monthly report for %s not sent: %s", f"{run.month:%Y-%m}", error)
    MonthlyRun.objects.filter(pk=run.pk).update(status=MonthlyRun.Status.FAILED, error=error[:2000])
    run.refresh_from_db()
    return run


def _message(exporter: Exporter, reports: list[GeneratedReport], recipients: list[str]) -> EmailMessage:
    lines = [exporter.title, exporter.subtitle, ""]
    if exporter.banner:
        lines += [exporter.banner, ""]
    lines += [f"{label}: {text}" for label, text in exporter.summary]
    lines += _closed_changes_lines()
    lines += ["", "Attached: the printable summary (PDF) and every breakdown (Excel). Both are kept under "
                  "Reports in costdash, with who downloads them."]
    message = EmailMessage(subject=exporter.title, body="\n".join(lines), from_email=settings.DEFAULT_FROM_EMAIL,
                           to=recipients)
    for report in reports:
        with report.file.open("rb") as handle:
            message.attach(report.filename, handle.read(), CONTENT_TYPES[report.format].split(";")[0])
    return message


def _closed_changes_lines() -> list[str]:
    """The e-mail's word on closed months whose figures changed since they were closed (none: nothing)."""
    changes = closed_months_changed()
    if not changes:
        return []
    lines = ["", "Closed months changed since they were closed (their reports and files still show the figures "
                 "as closed; the change is carried as an adjustment in the next open month's report):"]
    for change in changes:
        lines.append(f"- {change['month']:%B %Y}: changed since close: {signed_usd(change['amount'])} "
                     f"(closed at {usd(change['at_close'])} by {change['closed_by'] or 'a deleted user'} on "
                     f"{change['closed_at']:%Y-%m-%d}, now {usd(change['now'])})")
        for dimension, label in (("developers", "developer"), ("teams", "team"), ("cost_centers", "cost center"),
                                 ("models", "model")):
            moved = change["breakdown"][dimension]
            if moved:
                lines.append(f"  by {label}: " + ", ".join(
                    f"{line['name']} {signed_usd(line['change'])}" for line in moved))
    return lines


def signed_usd(amount) -> str:
    """+$0.07 / -$1.20 / $0.00: a change, with its sign."""
    text = usd(amount)
    return text if text.startswith("-") or to_cents(amount) == 0 else f"+{text}"
