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
    # Daily (or hourly) aggregates, not requests: counted for a developer-day only when no
    # per-request source reported that day (rollups.dedupe).
    OTEL_METRICS = "otel_metrics", "Claude Code OpenTelemetry metrics"
    ANTHROPIC_USAGE = "anthropic_usage", "Anthropic usage report (Admin API or Console CSV)"
    CLAUDE_CODE_ANALYTICS = "claude_code_analytics", "Claude Code Analytics API"
    LITELLM_DAILY = "litellm_daily", "LiteLLM daily activity export"
    # Billed cost, by workspace: for reconciliation, never attributed to people.
    ANTHROPIC_COST = "anthropic_cost", "Anthropic cost report (Admin API or Console CSV)"
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
    files_resumed = models.PositiveIntegerField(
        default=0, help_text="Transcripts read from where the last import stopped (they had grown)"
    )
    files_ignored = models.PositiveIntegerField(default=0, help_text="Files in no format costdash reads")
    lines = models.BigIntegerField(default=0)
    usage_lines = models.BigIntegerField(default=0)
    requests_new = models.PositiveIntegerField(default=0)
    requests_updated = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(
        default=0, help_text="Requests stored for another person, reported here for someone else: kept as stored"
    )
    skipped_retention = models.PositiveIntegerField(
        default=0, help_text="Requests older than raw-event retention (ingest.retention): not imported"
    )
    records_new = models.PositiveIntegerField(default=0, help_text="Daily aggregates, activity, billed cost")
    records_updated = models.PositiveIntegerField(default=0)
    records_unchanged = models.PositiveIntegerField(default=0)
    failed_calls = models.PositiveIntegerField(
        default=0, help_text="Failed API calls read (429, overloaded, 500...): errors, not requests, never billed"
    )
    rejected = models.PositiveIntegerField(default=0)
    rejected_by_reason = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True, help_text="The first rejected lines: file, line, reason")
    unpriced_models = models.JSONField(default=list, blank=True)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The lease of a running import (ingest.sweep): renewed by every save (each flush, each pulled
    # page) and while it reads; a running batch whose heartbeat is stale lost its worker.
    # queued_at: when the sweeper last queued a pending batch's run.
    heartbeat_at = models.DateTimeField(null=True, blank=True, auto_now=True)
    queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "import batches"
        indexes = [models.Index(fields=["status"], name="import_batch_status",
                                condition=models.Q(status__in=["pending", "running"]))]

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


class TranscriptCursor(models.Model):
    """Where the last import of a plain transcript file stopped, so a grown file is read from there.

    ``offset`` is the end of the last complete line read (its newline included) and ``lines`` the
    lines before it. The file is taken as unchanged, and skipped without a read, while its device,
    inode, size and mtime are as recorded. Otherwise it is read from ``offset`` only when the same
    file still has at least ``offset`` bytes and ``prefix_hash`` (ingest.cursors.prefix_hash: its
    first and its last 64 KiB before the offset) still matches; else it is read whole.
    """

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, db_index=False)
    path_key = models.CharField(max_length=64, help_text="sha256 of the file's absolute path")
    path = models.TextField()
    device = models.BigIntegerField()
    inode = models.BigIntegerField()
    size = models.BigIntegerField()
    mtime_ns = models.BigIntegerField()
    offset = models.BigIntegerField()
    lines = models.BigIntegerField()
    prefix_hash = models.CharField(max_length=64)
    batch = models.ForeignKey(ImportBatch, null=True, on_delete=models.SET_NULL, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["developer", "path_key"], name="transcript_cursor_unique"),
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
    # nothing looks events up by. None of the three has a database constraint: Django itself nulls
    # them when their row is deleted (on_delete), and a write of events checks (and locks) the
    # developers it names once per flush (upsert.developers_lock), as the FK check did per row.
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False,
        db_constraint=False,
    )
    developer = models.ForeignKey(
        Developer, null=True, blank=True, on_delete=models.SET_NULL, db_index=False, db_constraint=False
    )
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
    # Chargeback dimensions (ingest/parsers/dimensions.py) as canonical JSON text, so the rollup
    # groups by the column as it is; NULL for none (every transcript request).
    dimensions = models.TextField(null=True, blank=True)

    class Meta:
        # Only what reads need: rollups recompute by developer and time. (A request_id index
        # belongs with the first cross-source match that looks events up by it.)
        indexes = [models.Index(fields=["developer", "timestamp"], name="usage_dev_time")]

    def __str__(self) -> str:
        return self.dedupe_key

    @property
    def unpriced(self) -> bool:
        return self.cost is None


class RawEventRetention(models.Model):
    """One row: the raw events retention removed (ingest.retention). Requests before ``removed_before`` are gone
    (their rollups, reports and closed months stay), so none is imported again and none of their days is
    recomputed, even if COSTDASH_RAW_EVENT_RETENTION_MONTHS is later raised or turned off."""

    removed_before = models.DateTimeField(null=True, blank=True, help_text="First of a UTC month; empty: none removed")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"raw events removed before {self.removed_before}"


class FailedCall(models.Model):
    """One failed API call a source logged (a 429, a 529 overloaded, a 500, a prompt too long): not
    a request, so never a UsageEvent and never in spend, requests, tokens or active days; counted
    as an error of its source per developer-day and model (rollups.DailyError).

    Kept apart from UsageEvent so that no reader of requests has to filter them out. ``key`` is
    the record's dedupe key (namespaced as a request's: "litellm:…", "otel:…"), so a failure
    imported again, or reported by two LiteLLM formats, is stored once.
    """

    key = models.CharField(max_length=200, primary_key=True)
    source = models.CharField(max_length=40, choices=Source.choices)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False,
        db_constraint=False,
    )
    developer = models.ForeignKey(Developer, null=True, blank=True, on_delete=models.SET_NULL, db_index=False)
    identity = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.SET_NULL, db_index=False, db_constraint=False
    )
    timestamp = models.DateTimeField()
    model = models.CharField(max_length=120, blank=True, help_text="Normalised model id")
    raw_model = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=60, blank=True, help_text="Status code and error class, when known")

    class Meta:
        indexes = [models.Index(fields=["developer", "timestamp"], name="failed_call_dev_time")]

    def __str__(self) -> str:
        return self.key


class IngestToken(models.Model):
    """A revocable secret that lets a live source (an OTLP exporter, a LiteLLM callback, a
    developer's push script) send usage. Only its sha256 is stored; the token is shown once."""

    class Kind(models.TextChoices):
        OTLP = "otlp", "OpenTelemetry (Claude Code)"
        LITELLM = "litellm", "LiteLLM callback"
        TRANSCRIPTS = "transcripts", "Transcript push (one developer)"
        FILES = "files", "File import API (any format)"

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


class UsageAggregate(models.Model):
    """Usage a source reported already summed over a bucket (a UTC day, an hour, a minute, or one
    OTel metric interval) instead of per request: Admin API usage reports, Claude Code Analytics,
    Console usage CSV, LiteLLM daily activity, Claude Code's token/cost metrics.

    ``key`` is the source's natural key (bucket start plus its group-by values), so re-fetching a
    bucket replaces it instead of adding to it. ``cost`` is ours, priced from the tokens (NULL =
    unpriced); ``reported_cost`` is the source's own figure. ``cache_split_known`` is False when the
    source gave cache writes without their 5m/1h split (the parser put them in one class).
    """

    key = models.CharField(max_length=300, primary_key=True)
    source = models.CharField(max_length=40, choices=Source.choices)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False,
        db_index=False,
    )
    developer = models.ForeignKey(Developer, null=True, blank=True, on_delete=models.SET_NULL, db_index=False)
    identity = models.ForeignKey(Identity, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False)
    start = models.DateTimeField(help_text="Bucket start (UTC)")
    width = models.CharField(max_length=4, help_text='"1d", "1h", "1m", or "" for one metric interval')
    model = models.CharField(max_length=120, blank=True, help_text="Normalised model id")
    raw_model = models.CharField(max_length=200, blank=True)
    workspace = models.CharField(max_length=200, blank=True)
    api_key = models.CharField(max_length=200, blank=True, help_text="Key id or name (never the secret)")
    service_tier = models.CharField(max_length=20, blank=True)
    context_window = models.CharField(max_length=20, blank=True)
    inference_geo = models.CharField(max_length=32, blank=True)
    speed = models.CharField(max_length=16, blank=True)
    is_batch = models.BooleanField(default=False)
    input_tokens = models.BigIntegerField(default=0, help_text="Uncached input")
    output_tokens = models.BigIntegerField(default=0)
    cache_write_5m_tokens = models.BigIntegerField(default=0)
    cache_write_1h_tokens = models.BigIntegerField(default=0)
    cache_read_tokens = models.BigIntegerField(default=0)
    web_search_requests = models.IntegerField(default=0)
    cache_split_known = models.BooleanField(default=True)
    requests = models.IntegerField(null=True, blank=True, help_text="When the source counts them")
    cost = models.DecimalField(null=True, blank=True, **MONEY)
    reported_cost = models.DecimalField(null=True, blank=True, **MONEY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["developer", "start"], name="usage_agg_dev_start")]

    def __str__(self) -> str:
        return self.key


class ActivityRecord(models.Model):
    """What a developer did with Claude Code in a bucket, as a source reported it: sessions, lines
    of code, commits, pull requests, edit-tool decisions and active time (OTel metrics points,
    Claude Code Analytics rows). Keyed like UsageAggregate, so a re-sent bucket replaces itself."""

    key = models.CharField(max_length=300, primary_key=True)
    source = models.CharField(max_length=40, choices=Source.choices)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False,
        db_index=False,
    )
    developer = models.ForeignKey(Developer, null=True, blank=True, on_delete=models.SET_NULL, db_index=False)
    identity = models.ForeignKey(Identity, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False)
    start = models.DateTimeField(help_text="Bucket start, or the metric point's time (UTC)")
    width = models.CharField(max_length=4, help_text='"1d", or "" for one metric interval')
    sessions = models.IntegerField(default=0)
    lines_added = models.IntegerField(default=0)
    lines_removed = models.IntegerField(default=0)
    commits = models.IntegerField(default=0)
    pull_requests = models.IntegerField(default=0)
    edits_accepted = models.IntegerField(default=0)
    edits_rejected = models.IntegerField(default=0)
    active_seconds = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    detail = models.JSONField(default=dict, blank=True, help_text="Source-specific extras (terminal, tools...)")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["developer", "start"], name="activity_dev_start")]

    def __str__(self) -> str:
        return self.key


class BilledCost(models.Model):
    """What Anthropic billed (cost_report pages, Console cost CSV): the org's cost per UTC day by
    workspace and line item, in USD (the API's cents already divided by 100). It names no people,
    so it is reconciled against, never attributed."""

    key = models.CharField(max_length=300, primary_key=True)
    source = models.CharField(max_length=40, choices=Source.choices, default=Source.ANTHROPIC_COST)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False,
        db_index=False,
    )
    day = models.DateField(help_text="UTC day")
    workspace = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=300, blank=True)
    cost_type = models.CharField(max_length=40, blank=True)
    model = models.CharField(max_length=120, blank=True, help_text="Normalised model id")
    raw_model = models.CharField(max_length=200, blank=True)
    token_type = models.CharField(max_length=60, blank=True)
    service_tier = models.CharField(max_length=20, blank=True)
    context_window = models.CharField(max_length=20, blank=True)
    inference_geo = models.CharField(max_length=32, blank=True)
    amount = models.DecimalField(**MONEY, help_text="USD")
    currency = models.CharField(max_length=3, default="USD")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["day"], name="billed_cost_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.workspace} {self.description} {self.amount}"


class MetricSeries(models.Model):
    """The last point seen of each CUMULATIVE OpenTelemetry metric series (a metric name and its
    attribute set, resource included), so that a running total's next point is turned into what
    it adds (ingest.metric_series). A row is locked while its points are counted."""

    series = models.CharField(max_length=40, primary_key=True, help_text="sha1 of the metric name and attributes")
    start_time_unix_nano = models.BigIntegerField(help_text="The series' start (its process start); -1 if none yet")
    last_time_unix_nano = models.BigIntegerField(help_text="The last point's time; -1 if none yet")
    last_value = models.DecimalField(max_digits=32, decimal_places=12, help_text="The last point's running total")

    class Meta:
        verbose_name_plural = "metric series"

    def __str__(self) -> str:
        return self.series


class RequestConflict(models.Model):
    """Requests stored for one person that were reported again for another (ingest.conflicts): the
    stored rows were kept. One row per (day seen, stored person, reporting person), so the
    "Request conflict" alert comes once per pair and day however many requests clash.

    A person is its developer ("developer:<id>"), or while its identity is unassigned, that identity
    ("identity:<id>"); "nobody" for a row with neither.
    """

    day = models.DateField(help_text="Org-local day the conflict was seen")
    owner_key = models.CharField(max_length=40, help_text="Whose the stored requests are")
    claimant_key = models.CharField(max_length=40, help_text="Whom the copies named")
    owner = models.ForeignKey(Developer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    claimant = models.ForeignKey(Developer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requests = models.PositiveIntegerField(default=0)
    example_key = models.CharField(max_length=200, help_text="The dedupe key of one of them")
    batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    token = models.ForeignKey(IngestToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "owner_key", "claimant_key"], name="request_conflict_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.owner_key} <- {self.claimant_key} ({self.requests})"


class ReceivedBody(models.Model):
    """One body a live receiver accepted (OTLP logs or metrics, the LiteLLM callback, a transcript push),
    stored as sent (still gzip if it came so) before the answer, and turned into events by a worker in
    batches (ingest.received). ``state`` moves pending -> claimed -> done (or failed); a body is done in
    the same transaction as the events it became, so it is counted once whatever crashes."""

    class Kind(models.TextChoices):
        OTLP_LOGS = "otlp_logs", "OTLP logs"
        OTLP_METRICS = "otlp_metrics", "OTLP metrics"
        LITELLM = "litellm", "LiteLLM callback"
        PUSH = "push", "Transcript push"

    class State(models.TextChoices):
        PENDING = "pending"
        CLAIMED = "claimed"
        DONE = "done"
        FAILED = "failed"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    token = models.ForeignKey(IngestToken, on_delete=models.CASCADE, related_name="bodies")
    content_type = models.CharField(max_length=64, blank=True)
    encoding = models.CharField(max_length=16, blank=True, help_text="gzip, or empty: how ``data`` is encoded")
    name = models.CharField(max_length=300, blank=True, help_text="A pushed transcript's file name")
    data = models.BinaryField()
    size = models.PositiveIntegerField(default=0, help_text="Bytes as sent")
    received_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    claim = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    records = models.PositiveIntegerField(default=0, help_text="Records accepted (requests, failed calls, points)")
    rejected = models.PositiveIntegerField(default=0, help_text="Records refused")
    reasons = models.JSONField(default=list, blank=True, help_text="The first refused records, with reasons")

    class Meta:
        indexes = [
            models.Index(fields=["state", "id"], name="received_body_waiting",
                         condition=models.Q(state__in=["pending", "claimed"])),
            models.Index(fields=["token", "-id"], name="received_body_token"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} body {self.pk} ({self.state})"
