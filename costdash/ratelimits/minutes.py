"""Per-minute figures of the org and of each team, by day and over a range.

Two steps. 1. A day whose MinuteUsage changed is marked stale (ratelimits.rollup); when a range is
read, its stale days are computed again into MinuteDay rows, one per scope and day: p50, p95, p99
(percentile_cont) and the peak minute of each figure, in one grouped query on PostgreSQL, from the
minutes' totals in Python elsewhere (the same arithmetic, ratelimits.percentiles). 2. The range is
read from those rows: a few per day, whatever the team's size.

Only minutes with at least one request count (an "active minute"): over every minute of a day the
median would be 0 for any team that sleeps. Over a range, each figure is the worst day's (the
highest p50, p95, p99 and peak of its days). A minute is over a limit when its total passes it;
Anthropic refills its limits continuously, so a burst inside a minute can be refused below a
minute's total and a steady minute above it may pass: an estimate. Only the org's minutes are
compared with the limits entered (they are the org's).

A team is its developers' team when the day was computed: moving a developer to another team changes
the days computed after it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, IntegerField, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from costdash.accounts.models import Developer

from .models import MinuteDay, MinuteDayStale, MinuteUsage
from .percentiles import METRICS, PERCENTILES, MetricStats, rounded, stats_of

ORG, NO_TEAM = -1, 0
CHUNK_DAYS = 7
LIMITED = ("rpm", "itpm", "otpm")  # the figures a limit can be entered for, in MinuteDay.minutes' order


@dataclass
class GroupDay:
    minutes: int = 0  # active minutes
    rate_limited: int = 0  # 429s seen
    metrics: dict[str, MetricStats] = field(default_factory=dict)
    over: dict[str, int] = field(default_factory=dict)  # the org's minutes over each entered limit
    throttled: int | None = None  # the org's minutes over any entered limit; None: none entered, or a team


TEAM_MINUTES = """
    SELECT COALESCE(d.team_id, {no_team}) AS grp, mu.day, mu.minute,
           SUM(mu.requests) AS rpm,
           SUM(mu.input_tokens + mu.cache_write_tokens) AS itpm,
           SUM(mu.input_tokens + mu.cache_write_tokens + mu.cache_read_tokens) AS itpm_all,
           SUM(mu.output_tokens) AS otpm,
           SUM(mu.input_tokens + mu.cache_write_tokens + mu.output_tokens) AS tpm,
           SUM(mu.rate_limited) AS limited
    FROM {mu} mu JOIN {dev} d ON d.id = mu.developer_id
    WHERE mu.day = ANY(%s)
    GROUP BY 1, 2, 3
"""


def _stats_sql() -> str:
    fractions = ", ".join(str(f) for f in PERCENTILES)
    stats = ", ".join(
        f"percentile_cont(ARRAY[{fractions}]) WITHIN GROUP (ORDER BY {m}::float8) FILTER (WHERE rpm > 0), "
        f"MAX({m}) FILTER (WHERE rpm > 0), (ARRAY_AGG(minute ORDER BY {m} DESC, minute) FILTER (WHERE rpm > 0))[1]"
        for m in METRICS
    )
    team_minutes = TEAM_MINUTES.format(no_team=NO_TEAM, mu=MinuteUsage._meta.db_table, dev=Developer._meta.db_table)
    return f"""
        WITH team_minutes AS MATERIALIZED ({team_minutes}), minutes AS (
            SELECT grp, day, minute, rpm, itpm, itpm_all, otpm, tpm, limited FROM team_minutes
            UNION ALL
            SELECT {ORG}, day, minute, SUM(rpm), SUM(itpm), SUM(itpm_all), SUM(otpm), SUM(tpm), SUM(limited)
            FROM team_minutes GROUP BY day, minute
        )
        SELECT grp, day, COUNT(*) FILTER (WHERE rpm > 0), SUM(limited), {stats}
        FROM minutes GROUP BY grp, day
    """


def _stats_json(s: MetricStats) -> list:
    return [str(s.p50), str(s.p95), str(s.p99), s.peak, s.peak_minute.isoformat()]


def _days_in_database(days: list[date]) -> dict[tuple, MinuteDay]:
    with connection.cursor() as cursor:
        cursor.execute(_stats_sql(), [days])
        rows = cursor.fetchall()
    out = {}
    for row in rows:
        grp, day, active, limited = row[:4]
        stats = {}
        for i, metric in enumerate(METRICS):
            fractions, peak, peak_minute = row[4 + 3 * i : 7 + 3 * i]
            if active:
                p50, p95, p99 = (rounded(v) for v in fractions)
                stats[metric] = _stats_json(MetricStats(p50, p95, p99, int(peak), peak_minute))
        out[(grp, day)] = MinuteDay(scope=grp, day=day, active_minutes=active, rate_limited=int(limited or 0),
                                    stats=stats)
    org = MinuteUsage.objects.filter(day__in=days, requests__gt=0).values("day", "minute").annotate(
        rpm=Sum("requests"), itpm=Sum(F("input_tokens") + F("cache_write_tokens")), otpm=Sum("output_tokens"),
    ).order_by("day", "minute")
    for row in org:
        out[(ORG, row["day"])].minutes.append([row["rpm"], row["itpm"], row["otpm"]])
    return out


def _minute_rows(days: list[date]) -> list[dict]:
    """Each team's totals per minute (TEAM_MINUTES), through the ORM."""
    return list(
        MinuteUsage.objects.filter(day__in=days)
        .values("day", "minute", grp=Coalesce("developer__team_id", Value(NO_TEAM), output_field=IntegerField()))
        .annotate(
            rpm=Sum("requests"), itpm=Sum(F("input_tokens") + F("cache_write_tokens")),
            itpm_all=Sum(F("input_tokens") + F("cache_write_tokens") + F("cache_read_tokens")),
            otpm=Sum("output_tokens"), limited=Sum("rate_limited"),
        )
        .order_by()
    )


def _days_in_python(days: list[date]) -> dict[tuple, MinuteDay]:
    teams = _minute_rows(days)
    org: dict[tuple, dict] = {}
    for row in teams:
        row["tpm"] = row["itpm"] + row["otpm"]
        total = org.setdefault((row["day"], row["minute"]), {"grp": ORG, "day": row["day"], "minute": row["minute"],
                                                             **{m: 0 for m in (*METRICS, "limited")}})
        for name in (*METRICS, "limited"):
            total[name] += row[name]
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in [*teams, *org.values()]:
        groups[(row["grp"], row["day"])].append(row)
    out = {}
    for (grp, day), rows in groups.items():
        active = sorted((r for r in rows if r["rpm"] > 0), key=lambda r: r["minute"])
        stats = {m: _stats_json(stats_of([(r["minute"], r[m]) for r in active])) for m in METRICS} if active else {}
        out[(grp, day)] = MinuteDay(
            scope=grp, day=day, active_minutes=len(active), rate_limited=sum(r["limited"] for r in rows), stats=stats,
            minutes=[[r[m] for m in LIMITED] for r in active] if grp == ORG else [],
        )
    return out


def minute_days_refresh(since: date, until: date) -> int:
    """Compute the stale days in [since, until] again, a week per transaction; returns how many.
    Concurrent refreshes of the same days queue on the stale rows' lock; the second finds nothing
    left to do. A recompute marking one of them waits at most for its week."""
    claimed_at = timezone.now()
    stale = sorted(MinuteDayStale.objects.filter(day__gte=since, day__lte=until, marked_at__lte=claimed_at)
                   .values_list("day", flat=True))
    done = 0
    for i in range(0, len(stale), CHUNK_DAYS):
        done += _refresh(stale[i : i + CHUNK_DAYS], claimed_at)
    return done


def minute_days_refresh_all() -> int:
    """Every stale day (the recompute sweep calls it, so pages seldom wait for one)."""
    return minute_days_refresh(date.min, date.max)


def _refresh(days: list[date], claimed_at) -> int:
    with transaction.atomic():
        stale = list(
            MinuteDayStale.objects.select_for_update()
            .filter(day__in=days, marked_at__lte=claimed_at).values_list("day", flat=True)
        )
        if not stale:
            return 0
        rows = (_days_in_database if connection.vendor == "postgresql" else _days_in_python)(stale)
        MinuteDay.objects.filter(day__in=stale).delete()
        MinuteDay.objects.bulk_create(rows.values(), batch_size=1000)
        MinuteDayStale.objects.filter(day__in=stale, marked_at__lte=claimed_at).delete()
    return len(stale)


def _metric(values: list) -> MetricStats:
    p50, p95, p99, peak, minute = values  # as _stats_json wrote them: already rounded
    return MetricStats(p50=Decimal(p50), p95=Decimal(p95), p99=Decimal(p99), peak=peak,
                       peak_minute=datetime.fromisoformat(minute))


def _worst(days: list[GroupDay]) -> GroupDay:
    """The range of a scope: minutes and 429s summed, each figure the worst day's."""
    out = GroupDay(minutes=sum(d.minutes for d in days), rate_limited=sum(d.rate_limited for d in days))
    for metric in METRICS:
        stats = [d.metrics[metric] for d in days if metric in d.metrics]
        if stats:
            peak = max(stats, key=lambda s: (s.peak, -s.peak_minute.timestamp()))
            out.metrics[metric] = MetricStats(p50=max(s.p50 for s in stats), p95=max(s.p95 for s in stats),
                                              p99=max(s.p99 for s in stats), peak=peak.peak,
                                              peak_minute=peak.peak_minute)
    if any(d.throttled is not None for d in days):
        out.throttled = sum(d.throttled or 0 for d in days)
        for d in days:
            for metric, n in d.over.items():
                out.over[metric] = out.over.get(metric, 0) + n
    return out


def _over_in_database(since: date, until: date, entered: list[tuple]) -> dict[date, tuple[dict, int]]:
    """{day: ({figure: minutes over its limit}, minutes over any)} of the org, counted in PostgreSQL."""
    over = [f"COUNT(*) FILTER (WHERE (m->>{i})::bigint > %s)" for i, _, _ in entered]
    any_over = " OR ".join(f"(m->>{i})::bigint > %s" for i, _, _ in entered)
    sql = f"""
        SELECT md.day, {", ".join(over)}, COUNT(*) FILTER (WHERE {any_over})
        FROM {MinuteDay._meta.db_table} md CROSS JOIN LATERAL jsonb_array_elements(md.minutes) m
        WHERE md.scope = %s AND md.day BETWEEN %s AND %s
        GROUP BY md.day
    """
    limits = [limit for _, _, limit in entered]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*limits, *limits, ORG, since, until])
        rows = cursor.fetchall()
    return {row[0]: ({m: n for (_, m, _), n in zip(entered, row[1:-1], strict=True)}, row[-1]) for row in rows}


def _over_in_python(since: date, until: date, entered: list[tuple]) -> dict[date, tuple[dict, int]]:
    out = {}
    for day, minutes in MinuteDay.objects.filter(scope=ORG, day__gte=since, day__lte=until).values_list(
            "day", "minutes"):
        over = {m: sum(1 for minute in minutes if minute[i] > limit) for i, m, limit in entered}
        out[day] = (over, sum(1 for minute in minutes if any(minute[i] > limit for i, _, limit in entered)))
    return out


def scope_minute_stats(since: date, until: date, limits: dict[str, int | None]) -> dict[tuple, GroupDay]:
    """{(scope, day): GroupDay} for the org (ORG), each team (its id) and NO_TEAM over the org-local
    days [since, until], and {(scope, None): the range}. ``limits``: {"rpm", "itpm", "otpm"} as
    entered (None: not compared)."""
    minute_days_refresh(since, until)
    entered = [(i, m, limits[m]) for i, m in enumerate(LIMITED) if limits.get(m) is not None]
    over = {}
    if entered:
        over = (_over_in_database if connection.vendor == "postgresql" else _over_in_python)(since, until, entered)
    out: dict[tuple, GroupDay] = {}
    by_scope: dict[int, list[GroupDay]] = defaultdict(list)
    for row in MinuteDay.objects.filter(day__gte=since, day__lte=until).defer("minutes").order_by("day"):
        day = GroupDay(minutes=row.active_minutes, rate_limited=row.rate_limited,
                       metrics={m: _metric(v) for m, v in row.stats.items()})
        if row.scope == ORG and entered:
            day.over, day.throttled = over.get(row.day, ({m: 0 for _, m, _ in entered}, 0))
        out[(row.scope, row.day)] = day
        by_scope[row.scope].append(day)
    for scope, days in by_scope.items():
        out[(scope, None)] = _worst(days)
    return out
