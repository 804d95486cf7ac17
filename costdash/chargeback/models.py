"""Chargeback beyond teams: the rules that map a dimension to a cost center, and the daily cost of
each set of dimensions (rebuilt by the rollup recompute beside DailyCost)."""
from django.db import models

from costdash.accounts.models import Developer
from costdash.ingest.models import MONEY


class Dimension(models.TextChoices):
    PROJECT = "project", "Project (repository)"
    API_KEY = "api_key", "API key (LiteLLM key alias, Admin API key)"
    WORKSPACE = "workspace", "Workspace (Admin API)"
    TAG = "tag", "LiteLLM tag (any of the request's tags)"
    TEAM = "team", "LiteLLM team"
    OTEL = "otel", "OpenTelemetry resource attribute"
    EVERYTHING = "everything", "Everything else (the default)"


class ChargebackRule(models.Model):
    """One rule: requests whose ``dimension`` matches ``pattern`` go to ``cost_center``. Rules are
    tried by ``position`` (then id); the first that matches wins. An EVERYTHING rule matches every
    request (the default for the rest); with no rule matching, a request goes to its developer's
    team's cost center. A blank ``cost_center`` sends the matched requests to that same fallback:
    an exception placed before a default."""

    position = models.PositiveIntegerField(default=100, help_text="Rules are tried from the lowest position up")
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    attribute = models.CharField(
        max_length=64, blank=True, help_text="For an OpenTelemetry rule: the resource attribute, e.g. team.id"
    )
    pattern = models.CharField(
        max_length=200, blank=True,
        help_text="The value to match, exactly; or a glob with * and ? (e.g. /home/*/src/payments*)",
    )
    cost_center = models.CharField(
        max_length=120, blank=True, help_text="Blank: the developer's own team's cost center"
    )
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        if self.dimension == Dimension.EVERYTHING:
            return f"everything else → {self.cost_center or 'own cost center'}"
        name = f"{self.dimension}:{self.attribute}" if self.dimension == Dimension.OTEL else self.dimension
        return f"{name} = {self.pattern} → {self.cost_center or 'own cost center'}"


class DailyDimensionCost(models.Model):
    """One developer's usage of one model on one org-local day from one source, for one set of
    chargeback dimensions: DailyCost split by ``dimensions`` (canonical JSON: project, api_key,
    workspace, tags, team, otel; "" for none). Rebuilt in the same recompute and from the same
    requests counted once (rollups.dedupe), so the rows of a (developer, day, model, source) add
    up to its DailyCost row exactly (cost, requests, tokens)."""

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    model = models.CharField(max_length=120)
    source = models.CharField(max_length=40)
    dimensions = models.TextField(blank=True, default="")
    # The dimensions' project (the repository, before any ProjectAlias) as its own column, so the
    # Projects page and the project filter group and narrow by it in the database.
    project = models.CharField(max_length=500, blank=True, default="")
    cost = models.DecimalField(default=0, **MONEY)
    requests = models.IntegerField(default=0)
    unpriced_requests = models.IntegerField(default=0)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cache_write_5m_tokens = models.BigIntegerField(default=0)
    cache_write_1h_tokens = models.BigIntegerField(default=0)
    cache_read_tokens = models.BigIntegerField(default=0)
    web_search_requests = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["day", "developer"], name="dimension_cost_day_dev"),
            models.Index(fields=["project", "day"], name="dimension_cost_project_day"),
        ]

    def __str__(self) -> str:
        return f"{self.developer_id} {self.day} {self.model} {self.dimensions} {self.cost}"


class MonthlyDimensionCost(models.Model):
    """DailyDimensionCost summed over one org-local month (``month``: its first day) per developer,
    model and project: rebuilt with the month's daily rows in the same recompute
    (rollup.dimension_costs_replace), so its figures equal the sum of those rows exactly. A long
    range's whole months read these (a row a developer, model and project a month) instead of
    every day (projects.project_table)."""

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    model = models.CharField(max_length=120)
    project = models.CharField(max_length=500, blank=True, default="")
    cost = models.DecimalField(default=0, **MONEY)
    requests = models.IntegerField(default=0)
    unpriced_requests = models.IntegerField(default=0)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cache_write_5m_tokens = models.BigIntegerField(default=0)
    cache_write_1h_tokens = models.BigIntegerField(default=0)
    cache_read_tokens = models.BigIntegerField(default=0)
    web_search_requests = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["developer", "month", "model", "project"],
                                    name="monthly_dimension_cost_unique"),
        ]
        indexes = [models.Index(fields=["month", "developer"], name="monthly_dimension_month_dev")]

    def __str__(self) -> str:
        return f"{self.developer_id} {self.month:%Y-%m} {self.model} {self.project} {self.cost}"


class ProjectFigures(models.Model):
    """The figures of DailyDimensionCost, summed."""

    cost = models.DecimalField(default=0, **MONEY)
    requests = models.BigIntegerField(default=0)
    unpriced_requests = models.BigIntegerField(default=0)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cache_write_5m_tokens = models.BigIntegerField(default=0)
    cache_write_1h_tokens = models.BigIntegerField(default=0)
    cache_read_tokens = models.BigIntegerField(default=0)
    web_search_requests = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class OrgProjectDay(ProjectFigures):
    """DailyDimensionCost summed over every developer per org-local day, project (repository) and
    model, rebuilt with the org's other day rollups (rollups.org_days) for the days each recompute
    touched: the Projects page of the whole org reads a month of these (~600 rows a day at 2,000
    developers) instead of every developer's rows. A scope narrower than everyone reads
    DailyDimensionCost."""

    day = models.DateField()
    project = models.CharField(max_length=500, blank=True, default="")
    model = models.CharField(max_length=120)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "project", "model"], name="org_project_day_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.project} {self.model} {self.cost}"


class OrgProjectMonth(ProjectFigures):
    """OrgProjectDay summed over an org-local month (``month``: its first day), rebuilt with it for the
    months of the days it rebuilt: a year of the whole org's projects is a few thousand rows."""

    month = models.DateField()
    project = models.CharField(max_length=500, blank=True, default="")
    model = models.CharField(max_length=120)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "project", "model"],
                                               name="org_project_month_unique")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.project} {self.model} {self.cost}"


class ProjectDeveloperMonth(models.Model):
    """That a developer used a project (any model) in an org-local month: the distinct (project,
    month) pairs of their MonthlyDimensionCost rows, rebuilt with them. A range's whole months count
    distinct developers per project from these (a row a developer, project and month) instead of a row
    per model too."""

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    project = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        constraints = [
            # Also the index a range of months reads, developer and project included (index-only scans).
            models.UniqueConstraint(fields=["month", "project", "developer"], name="project_developer_month_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.developer_id} {self.month:%Y-%m} {self.project}"


class ProjectDeveloperDay(models.Model):
    """That a developer used a project (any model or source) on an org-local day: the distinct (day,
    project) pairs of their DailyDimensionCost rows, rebuilt with them. A range's days count distinct
    developers per project from these (a third of the rows, read from the index alone)."""

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    project = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        constraints = [
            # Also the index a range of days reads, developer and project included (index-only scans).
            models.UniqueConstraint(fields=["day", "project", "developer"], name="project_developer_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.developer_id} {self.day} {self.project}"


class OrgProjectSessionDay(models.Model):
    """How many (developer, session) pairs had a SessionDay row in a project on an org-local day, over every
    developer, rebuilt with the org's other day rollups from that day's SessionDay rows alone. A session of
    one day and one project (most of them) is one of these and nothing else, so the whole org's distinct
    sessions over a range are these summed, with the few sessions of several days or projects counted by
    id instead (chargeback.projects._session_counts)."""

    day = models.DateField()
    project = models.CharField(max_length=500, blank=True, default="")
    sessions = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "project"], name="org_project_session_day_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.project} {self.sessions}"


class ProjectAlias(models.Model):
    """The name a repository is shown by. Several repositories (checkouts of one repository on
    different machines or paths) given the same ``name`` are one project everywhere projects are
    shown: the Projects page, the project filter, a developer's page, the API and the monthly
    report. Chargeback rules still match the repository itself (what the request recorded)."""

    repository = models.CharField(max_length=500, unique=True, help_text="As recorded: the checkout's path")
    name = models.CharField(
        max_length=200, help_text="The project's name; give several repositories one name to merge them"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "repository"]
        verbose_name_plural = "project aliases"

    def __str__(self) -> str:
        return f"{self.repository} → {self.name}"


class MonthlyCost(models.Model):
    """DailyCost summed over one org-local month (``month``: its first day) per developer and model
    (every source and project): rebuilt from the developer's DailyCost rows of the month in the same
    recompute (rollup.monthly_costs_replace), so its figures equal their sum exactly. A long range's
    whole months of the per-developer, per-model reads (the Cache page's savings, the Models page's
    what-if) read these, about four rows a developer-month, instead of every day's
    (rollups.selectors.repricing.period_sums)."""

    developer = models.ForeignKey(Developer, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    model = models.CharField(max_length=120)
    cost = models.DecimalField(default=0, **MONEY)
    requests = models.IntegerField(default=0)
    unpriced_requests = models.IntegerField(default=0)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cache_write_5m_tokens = models.BigIntegerField(default=0)
    cache_write_1h_tokens = models.BigIntegerField(default=0)
    cache_read_tokens = models.BigIntegerField(default=0)
    web_search_requests = models.IntegerField(default=0)
    # How many DailyCost rows were summed into this one: a range that reads a partial month as the whole
    # month less its days outside the range keeps a (developer, model) only where rows are left.
    daily_rows = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["developer", "month", "model"], name="monthly_cost_unique"),
        ]
        indexes = [models.Index(fields=["month", "developer"], name="monthly_cost_month_dev")]

    def __str__(self) -> str:
        return f"{self.developer_id} {self.month:%Y-%m} {self.model} {self.cost}"
