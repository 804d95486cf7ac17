"""The Rate limits page and API: per-minute figures of the org and each team, set against
Anthropic's per-user recommendations for their size and the limits the admin entered.

Users: developers with at least one active day in the range (rollups.DeveloperDay), in their
team as it is now. A team is set against the recommendation for its own size, as if it had its
own organisation; the org against the recommendation for the org's size. At 2x: the published
recommendation for twice the users, and the measured figures doubled (a ceiling: a larger team's
minutes overlap less than linearly, which is why the per-user figures fall with size).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, IntegerField, Value
from django.db.models.functions import Coalesce

from costdash.accounts.models import Team
from costdash.ingest.models import FailedCall, Source
from costdash.lib.dates import day_bounds, zone
from costdash.rollups.models import DeveloperDay

from .minutes import NO_TEAM, ORG, GroupDay, scope_minute_stats
from .models import OrgRateLimit, RateRecommendation
from .percentiles import rounded
from .rollup import RATE_LIMITED

# Limits entered by the admin, by the figure each is compared with.
LIMIT_OF = {"rpm": "rpm", "itpm": "itpm", "otpm": "otpm"}


@dataclass(frozen=True)
class Recommendation:
    """A band's per-user figures times ``users``: what Anthropic suggests asking for."""

    band: RateRecommendation
    users: int

    @property
    def tpm_low(self) -> int:
        return self.band.tpm_low * self.users

    @property
    def tpm_high(self) -> int:
        return self.band.tpm_high * self.users

    @property
    def rpm_low(self) -> Decimal:
        return self.band.rpm_low * self.users

    @property
    def rpm_high(self) -> Decimal:
        return self.band.rpm_high * self.users


@dataclass
class Headroom:
    """A measured figure set against a limit: what is left at the peak minute, and the minutes over it."""

    figure: str
    limit: Decimal
    peak: int
    p99: Decimal
    over: int  # minutes over a limit entered; days whose peak minute passed a recommendation
    unit: str = "minutes"

    @property
    def left(self) -> Decimal:
        return self.limit - self.peak

    @property
    def share_left(self) -> Decimal | None:
        """1 - peak / limit: negative when the peak minute was over it."""
        return (1 - Decimal(self.peak) / self.limit) if self.limit else None


@dataclass
class ScopePlan:
    key: str  # "org", "team-<id>" or "team-none"
    name: str
    users: int
    overall: GroupDay
    days: list[tuple[date, GroupDay]]
    recommendation: Recommendation | None
    at_double: Recommendation | None
    headroom: list[Headroom] = field(default_factory=list)  # against the recommendation (low end)

    @property
    def doubled_peak(self) -> dict[str, int]:
        return {m: s.peak * 2 for m, s in self.overall.metrics.items()}

    @property
    def doubled_p99(self) -> dict[str, Decimal]:
        return {m: s.p99 * 2 for m, s in self.overall.metrics.items()}


@dataclass
class RatePlan:
    since: date
    until: date
    limits: OrgRateLimit
    org: ScopePlan
    teams: list[ScopePlan]
    limit_headroom: list[Headroom]  # the org against the limits entered
    rate_limited_by_source: list[dict]
    recommendations: list[RateRecommendation]


def recommendation_for(users: int, bands: list[RateRecommendation]) -> Recommendation | None:
    """The band of ``users`` (the first, by size, whose upper bound reaches it), times ``users``."""
    if users < 1:
        return None
    for band in sorted(bands, key=lambda b: b.min_users):
        if users >= band.min_users and (band.max_users is None or users <= band.max_users):
            return Recommendation(band, users)
    return None


def _users(since: date, until: date) -> tuple[int, dict[int, int]]:
    active = DeveloperDay.objects.filter(day__gte=since, day__lte=until, active=True)
    org = active.values("developer_id").distinct().count()
    teams = dict(
        active.values(grp=Coalesce("developer__team_id", Value(NO_TEAM), output_field=IntegerField()))
        .annotate(n=Count("developer_id", distinct=True)).order_by().values_list("grp", "n")
    )
    return org, teams


def _against_recommendation(overall: GroupDay, rec: Recommendation | None, days: list) -> list[Headroom]:
    if rec is None or not overall.metrics:
        return []
    out = []
    for figure, limit in (("tpm", Decimal(rec.tpm_low)), ("rpm", rec.rpm_low)):
        stats = overall.metrics[figure]
        over = sum(1 for _, d in days if d.metrics and d.metrics[figure].peak > limit)
        out.append(Headroom(figure, limit, stats.peak, stats.p99, over, unit="days"))
    return out


def _scope(key, name, users, stats, grp, bands) -> ScopePlan:
    days = sorted(((day, s) for (g, day), s in stats.items() if g == grp and day is not None), key=lambda p: p[0])
    overall = stats.get((grp, None), GroupDay())
    rec = recommendation_for(users, bands)
    plan = ScopePlan(key=key, name=name, users=users, overall=overall, days=days, recommendation=rec,
                     at_double=recommendation_for(users * 2, bands))
    plan.headroom = _against_recommendation(overall, rec, days)
    return plan


def rate_limited_by_source(since: date, until: date, tz_name: str) -> list[dict]:
    """429s in the range per source: [{"source", "label", "errors"}], most first."""
    start, _ = day_bounds(since, zone(tz_name))
    _, end = day_bounds(until, zone(tz_name))
    labels = dict(Source.choices)
    rows = (
        FailedCall.objects.filter(RATE_LIMITED, timestamp__gte=start, timestamp__lt=end, developer__isnull=False)
        .values("source").annotate(n=Count("pk")).order_by("-n", "source")
    )
    return [{"source": r["source"], "label": labels.get(r["source"], r["source"]), "errors": r["n"]} for r in rows]


def rate_plan(since: date, until: date, tz_name: str) -> RatePlan:
    """The org's and every team's per-minute figures over [since, until] (org-local days)."""
    limits = OrgRateLimit.get()
    entered = {figure: getattr(limits, name) for figure, name in LIMIT_OF.items()}
    stats = scope_minute_stats(since, until, entered)
    bands = list(RateRecommendation.objects.all())
    org_users, team_users = _users(since, until)
    org = _scope("org", "Whole organisation", org_users, stats, ORG, bands)
    names = dict(Team.objects.values_list("pk", "name"))
    groups = sorted({g for g, _ in stats if g != ORG}, key=lambda g: (g == NO_TEAM, names.get(g, "")))
    teams = [
        _scope(f"team-{g}" if g != NO_TEAM else "team-none", names.get(g, "No team"), team_users.get(g, 0), stats, g,
               bands)
        for g in groups
    ]
    limit_headroom = []
    for figure, limit in entered.items():
        if limit is not None and figure in org.overall.metrics:
            s = org.overall.metrics[figure]
            limit_headroom.append(Headroom(figure, Decimal(limit), s.peak, s.p99, org.overall.over.get(figure, 0)))
    return RatePlan(since=since, until=until, limits=limits, org=org, teams=teams, limit_headroom=limit_headroom,
                    rate_limited_by_source=rate_limited_by_source(since, until, tz_name), recommendations=bands)


__all__ = ["RatePlan", "ScopePlan", "Headroom", "Recommendation", "rate_plan", "recommendation_for", "rounded"]
