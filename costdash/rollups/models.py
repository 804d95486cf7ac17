"""Daily rollups, recomputed (never incremented) from UsageEvent, and the days waiting for it."""
from django.db import models

from costdash.accounts.models import Developer
from costdash.ingest.models import MONEY

# DailyCost.cache_split: "" the split is exact (the source gave it, or no writes hid one);
# "recovered" solved from the source's own cost (pricing.split); "assumed" the parser's rule.
CACHE_SPLITS = [("", "exact"), ("recovered", "split recovered"), ("assumed", "split assumed")]

# The DailyCost columns that make a developer-day *active* when any is non-zero (with its cost): a
# request, priced or not, or a token of any class (daily reports count tokens, not requests).
USAGE_FIELDS = (
    "requests", "unpriced_requests", "input_tokens", "output_tokens", "cache_read_tokens",
    "cache_write_5m_tokens", "cache_write_1h_tokens",
)


class DailyCost(models.Model):
    """One developer's usage of one model on one org-local day, as counted from one source.

    A request reported by several sources is counted once, from the most trusted of them
    (rollups.dedupe), so the rows of a developer-day add up without double counting.
    """

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="daily_costs")
    day = models.DateField()
    model = models.CharField(max_length=120)
    source = models.CharField(max_length=40, default="", help_text="Where these requests were counted from")
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cache_write_5m_tokens = models.BigIntegerField(default=0)
    cache_write_1h_tokens = models.BigIntegerField(default=0)
    cache_read_tokens = models.BigIntegerField(default=0)
    web_search_requests = models.IntegerField(default=0)
    requests = models.IntegerField(default=0)
    sessions = models.IntegerField(default=0)
    unpriced_requests = models.IntegerField(default=0, help_text="Requests with no known price: not in cost")
    cost = models.DecimalField(default=0, **MONEY)
    cache_split = models.CharField(
        max_length=10, blank=True, default="", choices=CACHE_SPLITS,
        help_text="How the 5m/1h split of its cache writes is known (SplitRecovery): exact, recovered or assumed",
    )
    split_bound_tokens = models.BigIntegerField(
        default=0, help_text="Recovered: the true 5m writes are within this many of cache_write_5m_tokens"
    )
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["developer", "day", "model", "source"], name="daily_cost_unique"),
        ]
        indexes = [
            models.Index(fields=["day", "developer"], name="daily_cost_day_dev"),
            # The filter bar's model list: a loose index scan (selectors.models_in_rollups).
            models.Index(fields=["model"], name="daily_cost_model"),
        ]

    def __str__(self) -> str:
        return f"{self.developer_id} {self.day} {self.model} {self.cost}"


class DeveloperDay(models.Model):
    """One developer's day in total: the sum of their DailyCost rows for it (every model and
    source), rebuilt in the same recompute. What the Overview and Developers pages fold when no
    model filter applies, so a year of a large team is read without grouping DailyCost.

    ``active``: the day has any usage (a request, priced or not, a token or a cost), as
    selectors.developer_days defines it. ``cost`` leaves unpriced requests out (unknown, not $0).
    ``sources``: where the day was counted from (one source, almost always), so the developer-days
    per source need no distinct count over DailyCost.
    """

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="developer_days")
    day = models.DateField()
    cost = models.DecimalField(default=0, **MONEY)
    active = models.BooleanField(default=False)
    sources = models.CharField(
        max_length=200, blank=True, help_text="Sources its DailyCost rows came from, sorted, comma-separated"
    )
    cache_split = models.CharField(
        max_length=10, blank=True, default="", choices=CACHE_SPLITS,
        help_text="The least certain cache_split of its DailyCost rows: assumed, else recovered, else exact",
    )
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["developer", "day"], name="developer_day_unique")]
        indexes = [
            models.Index(fields=["day", "developer"], name="developer_day_day_dev"),
            # The active days' costs in order: the P90's few values are read from one bin's range of it
            # (selectors.developer_days_sql.percentile_of), not from a scan of a year of developer-days.
            models.Index(fields=["cost", "day"], name="developer_day_active_cost", condition=models.Q(active=True)),
        ]

    def __str__(self) -> str:
        return f"{self.developer_id} {self.day} {self.cost}"


class OrgDailyCost(models.Model):
    """DailyCost summed over every developer: one row per (day, model, source), rebuilt from DailyCost
    (rollups.org_days) for the days each recompute touched. What a page of the whole org groups by day
    and model reads instead of every developer's rows (a year of 2,000 developers is ~1.2M DailyCost rows,
    ~2,000 of these). A scope narrower than everyone reads DailyCost."""

    day = models.DateField()
    model = models.CharField(max_length=120)
    source = models.CharField(max_length=40, default="")
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cache_write_5m_tokens = models.BigIntegerField(default=0)
    cache_write_1h_tokens = models.BigIntegerField(default=0)
    cache_read_tokens = models.BigIntegerField(default=0)
    web_search_requests = models.BigIntegerField(default=0)
    requests = models.BigIntegerField(default=0)
    unpriced_requests = models.BigIntegerField(default=0)
    cost = models.DecimalField(default=0, **MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "model", "source"], name="org_daily_cost_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.model} {self.source} {self.cost}"


class OrgHourlyCost(models.Model):
    """HourlyCost summed over every developer: the org's spend per org-local day and hour, rebuilt with
    OrgDailyCost (rollups.org_days). The hour x weekday heatmap of the whole org reads a year of these
    (8,760 rows) instead of every developer's hours (~1.9M at 2,000 developers)."""

    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    requests = models.BigIntegerField(default=0)
    unpriced_requests = models.BigIntegerField(default=0)
    cost = models.DecimalField(default=0, **MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "hour"], name="org_hourly_cost_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.hour}h {self.cost}"


class OrgDayBin(models.Model):
    """How many of a day's developer-days were active at each half-dollar of cost (``half`` = floor(cost x
    2), DeveloperDay's active days), rebuilt with OrgDailyCost (rollups.org_days): a year of the whole org's
    histogram and P90 read ~40,000 of these instead of ~470,000 developer-days at 2,000 developers."""

    day = models.DateField()
    half = models.BigIntegerField()
    developer_days = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "half"], name="org_day_bin_unique")]


class OrgDaySources(models.Model):
    """How many of a day's developer-days were counted from each set of sources (DeveloperDay.sources),
    rebuilt with OrgDailyCost: the Overview's developer-days per source for the whole org."""

    day = models.DateField()
    sources = models.CharField(max_length=200, blank=True)
    developer_days = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "sources"], name="org_day_sources_unique")]


class DeveloperMonth(models.Model):
    """A developer's org-local calendar month in total: their DeveloperDay rows of it summed (spend, active
    days) with the costliest day's cost, rebuilt by the recompute for the months of the days it touched
    (rollups.developer_months). A year's per-developer totals read ~12 of these a developer instead of
    ~240 developer-days (selectors.developer_days_sql.developer_totals)."""

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="developer_months")
    month = models.DateField(help_text="Its first day")
    spend = models.DecimalField(default=0, **MONEY)
    active_days = models.IntegerField(default=0)
    worst_cost = models.DecimalField(default=0, help_text="The costliest day's cost", **MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["developer", "month"], name="developer_month_unique")]
        indexes = [models.Index(fields=["month", "developer"], name="developer_month_month_dev")]


class DailyError(models.Model):
    """Failed API calls (ingest.FailedCall) of one developer on one org-local day, per model and
    source: errors, not requests. Rebuilt with the day's DailyCost rows, and apart from them, so
    that no figure of successful calls (spend, requests, tokens, active days) can include one."""

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="daily_errors")
    day = models.DateField()
    model = models.CharField(max_length=120, blank=True)
    source = models.CharField(max_length=40)
    errors = models.IntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["developer", "day", "model", "source"], name="daily_error_unique"),
        ]
        indexes = [models.Index(fields=["day", "developer"], name="daily_error_day_dev")]

    def __str__(self) -> str:
        return f"{self.developer_id} {self.day} {self.model} {self.source} {self.errors}"


class DirtyDay(models.Model):
    """A developer-day whose events changed since its rollup was computed.

    A day whose recompute raised keeps its row with the error, and waits until ``retry_at``
    (rollups.failures); marking it again makes it due at once.
    """

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE)
    day = models.DateField()
    marked_at = models.DateTimeField()
    error = models.TextField(blank=True, help_text="Why its last recompute failed")
    attempts = models.PositiveIntegerField(default=0, help_text="Recomputes failed in a row")
    failed_at = models.DateTimeField(null=True, blank=True, help_text="When its last recompute failed")
    retry_at = models.DateTimeField(null=True, blank=True, help_text="Not recomputed before this")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["developer", "day"], name="dirty_day_unique")]


class DailyActivity(models.Model):
    """One developer's Claude Code activity on one day, from the most trusted source that reported
    it (rollups.dedupe.ACTIVITY_PRECEDENCE): sessions, lines of code, commits, pull requests,
    edit-tool decisions and active time. Recomputed with DailyCost."""

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="daily_activity")
    day = models.DateField()
    source = models.CharField(max_length=40)
    sessions = models.IntegerField(default=0)
    lines_added = models.IntegerField(default=0)
    lines_removed = models.IntegerField(default=0)
    commits = models.IntegerField(default=0)
    pull_requests = models.IntegerField(default=0)
    edits_accepted = models.IntegerField(default=0)
    edits_rejected = models.IntegerField(default=0)
    active_seconds = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["developer", "day"], name="daily_activity_unique")]
        indexes = [models.Index(fields=["day", "developer"], name="daily_activity_day_dev")]
        verbose_name_plural = "daily activity"

    def __str__(self) -> str:
        return f"{self.developer_id} {self.day} {self.source}"


class SessionDay(models.Model):
    """One Claude Code session's usage on one day (a session may span days) in one project: its
    requests counted once, like DailyCost. A session's whole figures are the sum of its rows (of
    every day and project; almost every session has one project).

    ``project``: the repository of its requests' working directory (parsers.dimensions.repository_of,
    before any ProjectAlias); "unknown project" for sources without one."""

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="session_days")
    day = models.DateField()
    session_id = models.CharField(max_length=100)
    project = models.CharField(max_length=500, blank=True, default="")
    requests = models.IntegerField(default=0)
    unpriced_requests = models.IntegerField(default=0)
    cost = models.DecimalField(default=0, **MONEY)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cache_read_tokens = models.BigIntegerField(default=0)
    cache_write_tokens = models.BigIntegerField(default=0, help_text="5m and 1h writes")
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["developer", "day", "session_id", "project"], name="session_day_unique"),
        ]
        indexes = [
            models.Index(fields=["day", "developer"], name="session_day_day_dev"),
            # Distinct sessions per developer over a range (selectors.developers.session_counts)
            # come from this index alone, in order, without sorting the rows.
            models.Index(fields=["developer", "session_id", "day"], name="session_day_dev_session"),
        ]

    def __str__(self) -> str:
        return f"{self.developer_id} {self.day} {self.session_id}"


class SessionMonth(models.Model):
    """How many of a developer's sessions lie wholly in one org-local month and one project
    (``month``: its first day): rebuilt from SessionDay in the same recompute
    (rollups.session_months). With SessionSpan it counts distinct sessions over whole months
    without reading every SessionDay row (a year of them is ~180,000 at 200 developers)."""

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    project = models.CharField(max_length=500, blank=True, default="")
    sessions = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["developer", "month", "project"], name="session_month_unique"),
        ]
        indexes = [models.Index(fields=["month", "developer"], name="session_month_month_dev")]

    def __str__(self) -> str:
        return f"{self.developer_id} {self.month:%Y-%m} {self.project} {self.sessions}"


class SessionSpan(models.Model):
    """A session of several months or projects (the few SessionMonth cannot count without counting
    them twice): one row for each (month, project) it has a SessionDay in."""

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="+")
    session_id = models.CharField(max_length=100)
    month = models.DateField()
    project = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["developer", "session_id", "month", "project"], name="session_span_unique"),
        ]
        indexes = [models.Index(fields=["month", "developer"], name="session_span_month_dev")]

    def __str__(self) -> str:
        return f"{self.developer_id} {self.session_id} {self.month:%Y-%m} {self.project}"


class SessionTotal(models.Model):
    """One session's whole figures (of one developer, over every day and project of its SessionDay
    rows): rebuilt from SessionDay in the same recompute (rollups.session_months). The Sessions
    list ranks sessions lying wholly in a range from these rows in cost order (an index), reading
    only the rows it shows instead of grouping every SessionDay row in range; the few sessions
    reaching outside the range (of several days) or, with a project filter, of several projects
    (SessionSpan) are summed from their SessionDay rows (selectors.sessions.ranked_sessions).

    ``project``: the session's repository when ``projects`` is 1 (else the greatest of them)."""

    # Its own index would repeat the unique (developer, session_id) one's first column.
    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="+", db_index=False)
    session_id = models.CharField(max_length=100)
    first_day = models.DateField()
    last_day = models.DateField()
    projects = models.IntegerField(default=1)
    project = models.CharField(max_length=500, blank=True, default="")
    requests = models.IntegerField(default=0)
    cost = models.DecimalField(default=0, **MONEY)
    # Its rows' costs above zero summed (its cost, unless a row is negative): no part of the session
    # (some of its days, one of its projects) costs more, so a ranking skips sessions under its N-th.
    cost_bound = models.DecimalField(default=0, **MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["developer", "session_id"], name="session_total_unique"),
        ]
        indexes = [
            # The ranking's order: a range's top N read from the top until N lie in the range.
            # Covering what the ranking filters on, so rows outside the range are skipped in the index
            # (PostgreSQL; other databases ignore ``include``).
            models.Index(fields=["-cost", "-requests", "session_id"], name="session_total_rank",
                         include=["first_day", "last_day", "developer"]),
            models.Index(fields=["project", "-cost", "-requests", "session_id"], name="session_total_project_rank",
                         include=["first_day", "last_day", "developer", "projects"]),
            models.Index(fields=["first_day", "last_day"], name="session_total_days"),
            # The few sessions of several days: those reaching outside a range are summed from SessionDay.
            models.Index(fields=["last_day", "first_day"], name="session_total_multiday",
                         condition=models.Q(first_day__lt=models.F("last_day"))),
            # The few of several projects, costliest first (with a project filter, summed from SessionDay).
            models.Index(fields=["-cost_bound"], name="session_total_multiproject", condition=models.Q(projects__gt=1)),
        ]

    def __str__(self) -> str:
        return f"{self.developer_id} {self.session_id} {self.first_day}..{self.last_day} {self.cost}"


class SplitRecovery(models.Model):
    """How the cache writes of one DailyCost row from an unsplit aggregate source were split.

    One row per (developer, day, model, source) whose aggregates hold writes without a 5m/1h split
    (cache_split_known False), rebuilt with its DailyCost row (rollups.split). ``units`` keeps,
    per rate unit (UTC day, speed, inference geo, Batch), the inputs the split was solved from
    (writes, other tokens, reported cost) and its outcome, so a recompute whose inputs did not
    change reuses a recovered split: a later price change reprices the recovered tokens instead
    of solving the old reported cost against new rates.
    """

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="split_recoveries")
    day = models.DateField()
    model = models.CharField(max_length=120)
    source = models.CharField(max_length=40)
    write_5m = models.BigIntegerField(default=0)
    write_1h = models.BigIntegerField(default=0)
    method = models.CharField(max_length=10, choices=CACHE_SPLITS[1:])
    bound_tokens = models.BigIntegerField(default=0, help_text="Recovered: ± 5-minute writes the rounding allows")
    reason = models.CharField(max_length=500, blank=True, help_text="Assumed: why no split could be recovered")
    reported_cost = models.DecimalField(null=True, blank=True, **MONEY)
    cost = models.DecimalField(null=True, blank=True, help_text="At the split, at the recompute's rates", **MONEY)
    units = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["developer", "day", "model", "source"], name="split_recovery_unique"),
        ]
        indexes = [models.Index(fields=["day", "developer"], name="split_recovery_day_dev")]
        verbose_name_plural = "split recoveries"

    def __str__(self) -> str:
        return f"{self.developer_id} {self.day} {self.model} {self.source} {self.method}"


class HourlyCost(models.Model):
    """One developer's usage in one org-local hour of one org-local day, over every model and
    source: what the hour-of-day x weekday heatmap reads. Rebuilt with the day's DailyCost rows from
    the same per-request events, each request counted once (rollups.hourly).

    ``hour`` is the wall-clock hour in the org's time zone (0-23): on the day clocks go back, both
    passes of the repeated hour are that one hour; on the day they go forward the skipped hour has
    no row. Daily reports (UsageAggregate) have no hour and are left out: a day counted from them
    has no HourlyCost rows, so the heatmap's total can be below DailyCost's (selectors.hourly says
    by how much).
    """

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="hourly_costs")
    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    requests = models.IntegerField(default=0)
    unpriced_requests = models.IntegerField(default=0, help_text="Requests with no known price: not in cost")
    cost = models.DecimalField(default=0, **MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["developer", "day", "hour"], name="hourly_cost_unique"),
            models.CheckConstraint(condition=models.Q(hour__lte=23), name="hourly_cost_hour_of_day"),
        ]
        indexes = [models.Index(fields=["day", "developer"], name="hourly_cost_day_dev")]

    def __str__(self) -> str:
        return f"{self.developer_id} {self.day} {self.hour:02d}h {self.cost}"
