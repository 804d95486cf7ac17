"""What every rule kind shares: the Finding it reports, the Context of one evaluation, the RuleKind
interface, and helpers for scopes, links and figures."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.urls import reverse

from costdash.accounts.models import Developer, OrgSettings
from costdash.lib.money import usd

USD, PERCENT, COUNT = "usd", "percent", "count"


@dataclass(frozen=True)
class Finding:
    rule: object  # AlertRule
    subject_key: str
    day: date
    summary: str
    link: str
    developer_id: int | None = None
    figure: Decimal | None = None
    threshold: Decimal | None = None


@dataclass
class Context:
    """One evaluation. ``pairs``: the (developer id, day) pairs a recompute just wrote, or None for
    the periodic check of everything. Days before ``oldest`` never alert (old history is not news).
    ``memo`` lets kinds share a read within one evaluation."""

    now: datetime
    today: date
    tz: ZoneInfo
    org: OrgSettings
    oldest: date
    pairs: frozenset[tuple[int, date]] | None = None
    memo: dict = field(default_factory=dict)

    def shared(self, key: str, read):
        if key not in self.memo:
            self.memo[key] = read()
        return self.memo[key]


class RuleKind:
    key = ""
    label = ""
    description = ""
    unit: str | None = USD  # of the rule's threshold; None: the kind has no threshold
    figure_unit: str | None = USD  # of an event's figure and threshold (a limit's percent becomes dollars)
    default_threshold: Decimal | None = None
    scopes: tuple[str, ...] = ("org",)
    uses_window = False
    monthly = False  # one event per subject and month: its day is the month's first
    on_recompute = False  # also evaluated for the developer-days a recompute just wrote

    def findings(self, rules: list, ctx: Context) -> Iterable[Finding]:
        raise NotImplementedError


def developer_scope(rule) -> set[int] | None:
    """The developer ids a rule covers, None for everyone."""
    if rule.scope == "developer":
        return {rule.developer_id}
    if rule.scope == "team":
        return set(Developer.objects.filter(team_id=rule.team_id).values_list("pk", flat=True))
    return None


def developer_names(ids: Iterable[int]) -> dict[int, str]:
    return {pk: name or email for pk, name, email in Developer.objects.filter(pk__in=set(ids)).values_list(
        "pk", "name", "email")}


def link(view: str, *args, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(view, args=args) + (f"?{query}" if query else "")


def developer_day_link(developer_id: int, day: date) -> str:
    """The developer's page over the 30 days to ``day``: the day against $13, $30 and their P90."""
    return link("dashboard:developer", developer_id, since=day - timedelta(days=29), until=day)


def month_label(day: date) -> str:
    return f"{day:%B %Y}"


def format_figure(value: Decimal | None, unit: str | None) -> str:
    if value is None:
        return "—"
    if unit == USD:
        return usd(value)
    if unit == PERCENT:
        return f"{format(value.quantize(Decimal('0.1')).normalize(), 'f')}%"
    return f"{value:.0f}"
