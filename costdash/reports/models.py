"""Monthly reports as kept files: every export (asked for on the Reports page or built by the
monthly schedule), who asked for it, who downloaded it, and the schedule's one run per month."""
from django.conf import settings
from django.db import models


class MonthlyRun(models.Model):
    """The monthly schedule's claim on one month: at most one row per month, so the e-mail goes out
    once however often (or on however many workers) the job runs. ``status`` moves by
    compare-and-swap (services.monthly_run_claim): pending/failed -> sending -> sent | failed."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"

    month = models.DateField(unique=True, help_text="The month's first day")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.JSONField(default=list, blank=True, help_text="The addresses it was sent to")
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.status}"


class GeneratedReport(models.Model):
    """One export of one month's report, kept (never deleted by costdash). ``requested_by`` is None
    for the monthly schedule (``run``). ``sheet``: the breakdown a CSV holds (one CSV per
    breakdown); "" for XLSX and PDF, which hold them all.

    ``status`` (services.report_request / report_build):
    1. pending: recorded by the request that asked for it, its build queued for a Celery worker;
    2. building: a worker claimed it (compare-and-swap; ``claimed_at``, ``attempts``): a claim older
       than services.STALE_BUILD (a worker that died) may be taken again, up to MAX_ATTEMPTS;
    3. ready (the file is kept) or failed (``error`` says why)."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (.xlsx)"
        PDF = "pdf", "PDF"

    class Status(models.TextChoices):
        PENDING = "pending"
        BUILDING = "building"
        READY = "ready"
        FAILED = "failed"

    kind = models.CharField(max_length=20, default="monthly")
    month = models.DateField(help_text="The month's first day")
    format = models.CharField(max_length=8, choices=Format.choices)
    sheet = models.CharField(max_length=40, blank=True)
    file = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    size = models.BigIntegerField(default=0)
    provisional = models.BooleanField(default=False, help_text="The month was still open (or had data to recompute)")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker took its build")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Builds started (a worker may die mid-way)")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    run = models.ForeignKey(MonthlyRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    month_close = models.ForeignKey("MonthClose", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="files", help_text="The close that made it (files made at close)")
    fingerprint = models.CharField(max_length=64, blank=True, help_text=(
        "closing.figures_fingerprint of the month when it was built: the file is out of date when the month's "
        "current one differs ('' for files built before fingerprints: unknown)"))
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["month", "created_at"], name="generated_report_month"),
            # The beat's sweep looks for builds not finished (few rows: a partial index).
            models.Index(fields=["created_at"], name="generated_report_unfinished",
                         condition=models.Q(status__in=["pending", "building"])),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.month:%Y-%m} {self.format}{f' {self.sheet}' if self.sheet else ''}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.READY, self.Status.FAILED)

    @property
    def filename(self) -> str:
        """What the download is called: costdash-2026-03[-developers][-provisional].csv."""
        sheet = f"-{self.sheet}" if self.sheet else ""
        return f"costdash-{self.month:%Y-%m}{sheet}{'-provisional' if self.provisional else ''}.{self.format}"


class ReportDownload(models.Model):
    """Someone downloaded a generated file (one row per download)."""

    report = models.ForeignKey(GeneratedReport, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.report_id} by {self.user_id} at {self.at}"


class MonthClose(models.Model):
    """A month closed by billing or an admin (reports.closing): the snapshot its report, files and API
    answer from while it stays closed. At most one close of a month is active (``reopened_at`` empty);
    a reopened close is kept, with who reopened it, and a new close is a new row.

    ``report``: the whole MonthlyReport as tagged JSON (closing.encode: money as decimal strings, so it
    decodes equal to the report it was taken from); its daily lines are MonthCloseLine rows. ``rates``:
    the ModelPrice rows in force in the month, ``precedence``: the source orders the rollups used.
    ``rows_fingerprint``: the month's DailyCost figures at close (a change since is detected by it);
    ``fingerprint``: what a file built from the snapshot carries (closing.figures_fingerprint)."""

    month = models.DateField(help_text="The month's first day")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField()
    note = models.TextField(blank=True)
    reopened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reopened_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(help_text="The MonthlyReport at close (closing.encode)")
    rates = models.JSONField(default=list, help_text="The ModelPrice rows in force in the month")
    precedence = models.JSONField(default=dict, help_text="Source precedence: per request, aggregates, activity")
    rows_fingerprint = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    lines = models.PositiveIntegerField(default=0, help_text="Daily lines kept (MonthCloseLine)")

    class Meta:
        ordering = ["-month", "-closed_at"]
        constraints = [
            models.UniqueConstraint(fields=["month"], condition=models.Q(reopened_at__isnull=True),
                                    name="month_close_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} closed {self.closed_at:%Y-%m-%d}{' (reopened)' if self.reopened_at else ''}"


class MonthCloseLine(models.Model):
    """One daily line (selectors.monthly_daily_lines) of a closed month, as tagged JSON, in order."""

    close = models.ForeignKey(MonthClose, on_delete=models.CASCADE, related_name="daily_lines")
    position = models.PositiveIntegerField()
    line = models.JSONField()

    class Meta:
        ordering = ["close", "position"]
        constraints = [models.UniqueConstraint(fields=["close", "position"], name="month_close_line_position")]


class MonthCloseEvent(models.Model):
    """The log of closing and reopening: who, when, why (never edited)."""

    class Action(models.TextChoices):
        CLOSE = "close"
        REOPEN = "reopen"

    month = models.DateField(help_text="The month's first day")
    action = models.CharField(max_length=8, choices=Action.choices)
    close = models.ForeignKey(MonthClose, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["month", "at"], name="month_close_event_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.action} by {self.user_id} at {self.at}"
