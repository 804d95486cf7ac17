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
