"""Rate-limit planning: requests and tokens per minute (a rollup), Anthropic's per-user
recommendations by team size, and the org's own limits as the admin enters them.

Which tokens count (Anthropic's rate-limit documentation, "cache-aware ITPM"): for most current
models the input-tokens-per-minute limit (ITPM) counts uncached input plus cache writes
(``input_tokens + cache_creation_input_tokens``); cache reads do not count. So three input
figures are kept apart: uncached input, cache writes, cache reads; "cache-aware input" is the
first two, "all input" the three. Output (OTPM) is output tokens.
"""
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from costdash.accounts.models import Developer


class MinuteUsage(models.Model):
    """One developer's requests and tokens in one UTC minute, on the org-local day it belongs to.

    Rebuilt with the developer-day's other rollups (rollups.services.daily_cost_recompute, through
    ratelimits.rollup), from the same counted requests: a request two sources report counts once.
    ``rate_limited``: failed calls with a 429 (ingest.FailedCall) in the minute, from any source;
    a minute with only those has ``requests`` 0.
    """

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField(help_text="The org-local day of the minute (lib.dates)")
    minute = models.DateTimeField(help_text="The minute's start, UTC")
    requests = models.IntegerField(default=0)
    input_tokens = models.BigIntegerField(default=0, help_text="Uncached input")
    cache_write_tokens = models.BigIntegerField(default=0, help_text="5-minute and 1-hour cache writes")
    cache_read_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    rate_limited = models.IntegerField(default=0, help_text="429 responses in the minute, any source")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["developer", "minute"], name="minute_usage_unique")]
        # Pages read a range of days for everyone (or a team): the day leads.
        indexes = [models.Index(fields=["day", "developer"], name="minute_usage_day_dev")]

    def __str__(self) -> str:
        return f"{self.developer_id} {self.minute:%Y-%m-%d %H:%M} {self.requests}"


class RateRecommendation(models.Model):
    """Anthropic's recommended tokens and requests per minute per user for one band of team size.

    A team of ``n`` users falls in the first band (by ``min_users``) whose ``max_users`` is at
    least ``n`` (the published bands share their edges: 5 users is "1-5", 20 is "5-20"); the last
    band has no ``max_users``. The published TPM does not say which tokens it means: it is set
    against cache-aware input plus output, the tokens that count against ITPM and OTPM.
    """

    min_users = models.PositiveIntegerField()
    max_users = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no upper bound")
    tpm_low = models.PositiveIntegerField(help_text="Tokens per minute per user, low end")
    tpm_high = models.PositiveIntegerField(help_text="Tokens per minute per user, high end")
    rpm_low = models.DecimalField(max_digits=8, decimal_places=3, help_text="Requests per minute per user, low end")
    rpm_high = models.DecimalField(max_digits=8, decimal_places=3, help_text="Requests per minute per user, high end")
    source = models.CharField(max_length=300)
    as_of = models.DateField(help_text="When the figures were read from the source")

    class Meta:
        ordering = ["min_users"]
        constraints = [
            models.UniqueConstraint(fields=["min_users"], name="rate_recommendation_one_per_band"),
            models.CheckConstraint(condition=Q(tpm_low__lte=F("tpm_high")), name="rate_recommendation_tpm_order"),
            models.CheckConstraint(condition=Q(rpm_low__lte=F("rpm_high")), name="rate_recommendation_rpm_order"),
        ]

    def __str__(self) -> str:
        return f"{self.min_users}-{self.max_users or ''} users"

    @property
    def band(self) -> str:
        return f"{self.min_users}+ users" if self.max_users is None else f"{self.min_users}-{self.max_users} users"


class OrgRateLimit(models.Model):
    """The org's rate limits as the admin enters them (from the Console's Limits page): input and
    output tokens per minute and requests per minute. One row; an empty field is not compared."""

    itpm = models.PositiveBigIntegerField(null=True, blank=True, verbose_name="Input tokens per minute (ITPM)")
    otpm = models.PositiveBigIntegerField(null=True, blank=True, verbose_name="Output tokens per minute (OTPM)")
    rpm = models.PositiveIntegerField(null=True, blank=True, verbose_name="Requests per minute (RPM)")
    note = models.CharField(max_length=300, blank=True, help_text="Which model or tier these are, say")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return "Org rate limits"

    @classmethod
    def get(cls) -> "OrgRateLimit":
        row = cls.objects.order_by("pk").first()
        return row or cls()


class MinuteDay(models.Model):
    """One scope's per-minute figures on one org-local day, computed from MinuteUsage when the day
    is read after a change (ratelimits.minutes): reading a quarter for the org and every team is
    then a few hundred rows, not a sort of every minute of it.

    ``scope``: -1 the org, 0 developers without a team, else the team's id (as it was when the day
    was computed). ``stats``: {figure: [p50, p95, p99, peak, peak minute ISO]} over the active
    minutes. ``minutes``: the org's only, [rpm, itpm, otpm] of each active minute, to count the
    minutes over whatever limits are entered when the page is read.
    """

    scope = models.BigIntegerField()
    day = models.DateField()
    active_minutes = models.IntegerField(default=0)
    rate_limited = models.IntegerField(default=0)
    stats = models.JSONField(default=dict)
    minutes = models.JSONField(default=list)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "scope"], name="minute_day_unique")]


class MinuteDayStale(models.Model):
    """A day whose MinuteUsage changed since its MinuteDay rows were computed (marked by the recompute).
    A mark newer than a refresh's claim survives it, as rollups.DirtyDay's does."""

    day = models.DateField(unique=True)
    marked_at = models.DateTimeField()
