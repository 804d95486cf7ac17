"""What came in: import batches, the files they read, and one UsageEvent per API request."""
from django.conf import settings
from django.db import models

from costdash.accounts.models import Developer, Identity

MONEY = {"max_digits": 24, "decimal_places": 12}


class Source(models.TextChoices):
    CLAUDE_CODE_JSONL = "claude_code_jsonl", "Claude Code transcripts (JSONL)"
    LITELLM_SPENDLOGS = "litellm_spendlogs", "LiteLLM spend logs"
    LITELLM_PAYLOAD = "litellm_payload", "LiteLLM logging payloads"
    OTEL = "otel", "Claude Code OpenTelemetry"
    FILES = "files", "Files (any supported format)"


class ImportBatch(models.Model):
    """One import: a CLI run, an upload or a push. Its counts and errors are shown to people."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    source = models.CharField(max_length=40, choices=Source.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    label = models.CharField(max_length=500, blank=True, help_text="What was imported: paths or the upload's name")
    developer = models.ForeignKey(Developer, null=True, blank=True, on_delete=models.SET_NULL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    upload = models.FileField(upload_to="uploads/%Y/%m/", blank=True)
    transcripts_only = models.BooleanField(
        default=False,
        help_text="Read only Claude Code transcripts (a developer's own upload): other formats name other people",
    )
    fingerprint = models.CharField(max_length=64, blank=True, help_text="sha256 of an uploaded file")
    total_bytes = models.BigIntegerField(default=0)
    processed_bytes = models.BigIntegerField(default=0)
    files_read = models.PositiveIntegerField(default=0)
    files_unchanged = models.PositiveIntegerField(default=0)
    files_ignored = models.PositiveIntegerField(default=0, help_text="Files in no format costdash reads")
    lines = models.BigIntegerField(default=0)
    usage_lines = models.BigIntegerField(default=0)
    requests_new = models.PositiveIntegerField(default=0)
    requests_updated = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    rejected_by_reason = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True, help_text="The first rejected lines: file, line, reason")
    unpriced_models = models.JSONField(default=list, blank=True)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"#{self.pk} {self.source} {self.status}"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_bytes:
            return 0
        return min(100, int(self.processed_bytes * 100 / self.total_bytes))


class ImportedFile(models.Model):
    """A file already read, by a cheap content fingerprint, so an unchanged one is skipped.

    Transcripts are recorded per developer (the same file may be uploaded for someone else);
    files whose rows name their own people have no developer.
    """

    # The unique (developer, fingerprint) index serves lookups by developer.
    developer = models.ForeignKey(Developer, null=True, blank=True, on_delete=models.CASCADE, db_index=False)
    fingerprint = models.CharField(max_length=64)
    name = models.CharField(max_length=1000)
    size = models.BigIntegerField()
    batch = models.ForeignKey(ImportBatch, null=True, on_delete=models.SET_NULL, db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["developer", "fingerprint"], name="imported_file_unique"),
        ]


class UsageEvent(models.Model):
    """One API request, priced. ``dedupe_key`` is unique across every source and import.

    ``cost`` is NULL when the model has no known price ("unpriced"): never $0.
    ``reported_cost`` is the source's own figure, if it gave one.
    """

    # The request's identity across sources and imports, so it is the primary key: one index
    # less to maintain on every insert than a surrogate id plus a unique key.
    dedupe_key = models.CharField(max_length=200, primary_key=True)
    source = models.CharField(max_length=40, choices=Source.choices)
    # Every index and deferred FK check costs time on each of millions of inserts: the developer
    # is served by the (developer, timestamp) index below; batch and identity are provenance that
    # nothing looks events up by, and Django itself nulls them when their row is deleted.
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False,
        db_constraint=False,
    )
    developer = models.ForeignKey(Developer, null=True, blank=True, on_delete=models.SET_NULL, db_index=False)
    identity = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.SET_NULL, db_index=False, db_constraint=False
    )
    timestamp = models.DateTimeField()
    session_id = models.CharField(max_length=100, blank=True)
    project = models.CharField(max_length=500, blank=True)
    model = models.CharField(max_length=120, help_text="Normalised model id")
    raw_model = models.CharField(max_length=200, blank=True)
    request_id = models.CharField(max_length=100, blank=True)
    message_id = models.CharField(max_length=100, blank=True)
    input_tokens = models.BigIntegerField(default=0, help_text="Uncached input")
    output_tokens = models.BigIntegerField(default=0)
    cache_write_5m_tokens = models.BigIntegerField(default=0)
    cache_write_1h_tokens = models.BigIntegerField(default=0)
    cache_read_tokens = models.BigIntegerField(default=0)
    web_search_requests = models.IntegerField(default=0)
    service_tier = models.CharField(max_length=20, blank=True)
    is_batch = models.BooleanField(default=False)
    speed = models.CharField(max_length=16, blank=True)
    inference_geo = models.CharField(max_length=32, blank=True)
    cost = models.DecimalField(null=True, blank=True, **MONEY)
    reported_cost = models.DecimalField(null=True, blank=True, **MONEY)

    class Meta:
        # Only what reads need: rollups recompute by developer and time. (A request_id index
        # belongs with the first cross-source match that looks events up by it.)
        indexes = [models.Index(fields=["developer", "timestamp"], name="usage_dev_time")]

    def __str__(self) -> str:
        return self.dedupe_key

    @property
    def unpriced(self) -> bool:
        return self.cost is None


class IngestToken(models.Model):
    """A revocable secret that lets a live source (an OTLP exporter, a LiteLLM callback, a
    developer's push script) send usage. Only its sha256 is stored; the token is shown once."""

    class Kind(models.TextChoices):
        OTLP = "otlp", "OpenTelemetry (Claude Code)"
        LITELLM = "litellm", "LiteLLM callback"
        TRANSCRIPTS = "transcripts", "Transcript push (one developer)"

    name = models.CharField(max_length=120, help_text="What it is for, e.g. 'OTel collector' or 'Ana's laptop'")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    developer = models.ForeignKey(
        Developer, null=True, blank=True, on_delete=models.CASCADE, help_text="Whose transcripts a push token sends"
    )
    prefix = models.CharField(max_length=12, help_text="The token's first characters, to recognise it")
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    requests = models.BigIntegerField(default=0, help_text="Bodies received")
    events_new = models.BigIntegerField(default=0, help_text="Requests (usage events) that were new")
    rejected = models.BigIntegerField(default=0, help_text="Records refused")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
