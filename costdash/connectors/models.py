"""Pull connectors: an Anthropic Admin API connection and where each of its endpoints got to."""
from __future__ import annotations

from datetime import date, timedelta

from django.db import models
from django.utils import timezone

from costdash.lib.encryption import secret_decrypt, secret_encrypt

ADMIN_KEY_PREFIX = "sk-ant-admin01-"
DEFAULT_BASE_URL = "https://api.anthropic.com"
BACKFILL_DAYS = 30


def default_start_date() -> date:
    return timezone.now().date() - timedelta(days=BACKFILL_DAYS)


def admin_key_hint(raw: str) -> str:
    """What the page shows of a key: its public prefix and last four characters, never more."""
    prefix = ADMIN_KEY_PREFIX if raw.startswith(ADMIN_KEY_PREFIX) else ""
    return f"{prefix}…{raw[-4:]}" if len(raw) > 8 else "…"


class AdminApiConnection(models.Model):
    """An organisation's Admin API, pulled on a schedule. The admin key is stored encrypted
    (``key_ciphertext``) and read only to send it: no page, log line or error shows it."""

    name = models.CharField(max_length=120, unique=True, help_text="e.g. the organisation's name")
    base_url = models.URLField(default=DEFAULT_BASE_URL)
    key_ciphertext = models.TextField(editable=False)
    key_hint = models.CharField(max_length=40, editable=False)
    enabled = models.BooleanField(default=True, help_text="Pulled every hour (COSTDASH_ADMIN_API_PULL_SECONDS)")
    pull_usage = models.BooleanField(default=True, help_text="Token usage (usage_report/messages)")
    pull_cost = models.BooleanField(default=True, help_text="Billed cost (cost_report)")
    pull_claude_code = models.BooleanField(default=True, help_text="Claude Code analytics (usage_report/claude_code)")
    start_date = models.DateField(default=default_start_date, help_text="First UTC day of the first backfill")
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Claimed by compare-and-swap for one run at a time; refreshed after every committed page.
    running_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<AdminApiConnection {self.pk} {self.name!r}>"

    def set_admin_key(self, raw: str) -> None:
        self.key_ciphertext = secret_encrypt(raw)
        self.key_hint = admin_key_hint(raw)

    def clear_admin_key(self) -> None:
        """Forget the key (the base URL changed): the connection does not pull until one is entered."""
        self.key_ciphertext = ""
        self.key_hint = ""

    def admin_key(self) -> str:
        """The decrypted key, to send; raises SecretUnreadable when the encryption keys changed."""
        return secret_decrypt(self.key_ciphertext)

    @property
    def endpoint_names(self) -> list[str]:
        """The endpoints this connection pulls, in pull order."""
        wanted = {"usage": self.pull_usage, "cost": self.pull_cost, "claude_code": self.pull_claude_code}
        return [name for name, on in wanted.items() if on]


class AdminApiCursor(models.Model):
    """How far one endpoint of a connection has been fetched, saved with every committed page.

    ``fetched_through``: the last UTC day whose data a finished range covered (today's may have
    been partial: the next run's trailing window fetches it again). Mid-range, ``next_page`` is
    the cursor of the first page not yet committed, and ``page_params`` the exact query it
    belongs to (the API refuses a cursor with changed parameters), so a run that died resumes
    there without fetching a committed page again.
    """

    connection = models.ForeignKey(AdminApiConnection, on_delete=models.CASCADE, related_name="cursors")
    endpoint = models.CharField(max_length=20)
    fetched_through = models.DateField(null=True, blank=True)
    next_page = models.CharField(max_length=2000, blank=True)
    page_params = models.JSONField(default=list, blank=True, help_text="[[name, value], ...] of the paged query")
    range_last_day = models.DateField(null=True, blank=True, help_text="The last day the paged query covers")
    page_number = models.PositiveIntegerField(default=0, help_text="Pages of the paged query committed")
    last_batch = models.ForeignKey(
        "ingest.ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The import of this endpoint's latest run",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "endpoint"], name="admin_api_cursor_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.connection} {self.endpoint}"
