"""Per-minute stats of the org and of each team, by day and over the range, from MinuteUsage.

``scope_minute_stats(since, until, limits)`` answers ``{(group, day): GroupDay}`` where group is
ORG (-1), a team's id, or NO_TEAM (0) for developers without one, and day is None for the whole
range. On PostgreSQL it is one query (percentile_cont, FILTER, GROUPING SETS); elsewhere the
minutes' totals are read and folded in Python (ratelimits.percentiles) to the same figures.

Only minutes with at least one request count (an "active minute"): over every minute of a day the
median would be 0 for any team that sleeps. A minute is "over" a limit when its total passes it;
Anthropic's limits are token buckets refilled continuously, so a burst inside a minute can be
refused below a minute's total and a steady minute above it may pass: an estimate, per minute.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import F, IntegerField, Sum, Value
from django.db.models.functions import Coalesce

from costdash.accounts.models import Developer

from .models import MinuteUsage
from .percentiles import METRICS, PERCENTILES, MetricStats, rounded, stats_of

ORG, NO_TEAM = -1, 0
# The limits a minute is compared with, and the figure each applies to.
LIMITED = {"rpm": "rpm", "itpm": "itpm", "otpm": "otpm"}


@dataclass
class GroupDay:
    minutes: int = 0  # active minutes
    rate_limited: int = 0  # 429s seen
    metrics: dict[str, MetricStats] = field(default_factory=dict)
    over: dict[str, int] = field(default_factory=dict)  # minutes over each entered limit
    throttled: int | None = None  # minutes over any entered limit; None when none is entered


def _sql(limits: dict[str, int | None]) -> tuple[str, list]:
    mu, dev = MinuteUsage._meta.db_table, Developer._meta.db_table
    fractions = ", ".join(str(f) for f in PERCENTILES)
    stats = []
    for metric in METRICS:
        stats.append(
            f"percentile_cont(ARRAY[{fractions}]) WITHIN GROUP (ORDER BY {metric}::float8) FILTER (WHERE rpm > 0), "
            f"MAX({metric}) FILTER (WHERE rpm > 0), "
            f"(ARRAY_AGG(minute ORDER BY {metric} DESC, minute) FILTER (WHERE rpm > 0))[1]"
        )
    params: list = []
    over = []
    for metric in LIMITED:
        over.append(f"COUNT(*) FILTER (WHERE {metric} > %s)")
        params.append(limits.get(metric))
    any_over = " OR ".join(f"{metric} > %s" for metric in LIMITED)
    params += [limits.get(metric) for metric in LIMITED]
    sql = f"""
        WITH team_minutes AS (
            SELECT COALESCE(d.team_id, {NO_TEAM}) AS grp, mu.day, mu.minute,
                   SUM(mu.requests) AS rpm,
                   SUM(mu.input_tokens + mu.cache_write_tokens) AS itpm,
                   SUM(mu.input_tokens + mu.cache_write_tokens + mu.cache_read_tokens) AS itpm_all,
                   SUM(mu.output_tokens) AS otpm,
                   SUM(mu.input_tokens + mu.cache_write_tokens + mu.output_tokens) AS tpm,
                   SUM(mu.rate_limited) AS limited
            FROM {mu} mu JOIN {dev} d ON d.id = mu.developer_id
            WHERE mu.day BETWEEN %s AND %s
            GROUP BY 1, 2, 3
        ), minutes AS (
            SELECT grp, day, minute, rpm, itpm, itpm_all, otpm, tpm, limited FROM team_minutes
            UNION ALL
            SELECT {ORG}, day, minute, SUM(rpm), SUM(itpm), SUM(itpm_all), SUM(otpm), SUM(tpm), SUM(limited)
            FROM team_minutes GROUP BY day, minute
        )
        SELECT grp, day, COUNT(*) FILTER (WHERE rpm > 0), SUM(limited),
               {", ".join(stats)}, {", ".join(over)}, COUNT(*) FILTER (WHERE {any_over})
        FROM minutes
        GROUP BY GROUPING SETS ((grp, day), (grp))
    """
    return sql, params


def _in_database(since: date, until: date, limits: dict) -> dict[tuple, GroupDay]:
    sql, params = _sql(limits)
    with connection.cursor() as cursor:
        cursor.execute(sql, [since, until, *params])
        rows = cursor.fetchall()
    out = {}
    entered = [m for m in LIMITED if limits.get(m) is not None]
    for row in rows:
        grp, day, minutes, limited = row[:4]
        result = GroupDay(minutes=minutes, rate_limited=int(limited or 0))
        at = 4
        for metric in METRICS:
            fractions, peak, peak_minute = row[at : at + 3]
            at += 3
            if minutes:
                p50, p95, p99 = (rounded(v) for v in fractions)
                result.metrics[metric] = MetricStats(p50=p50, p95=p95, p99=p99, peak=int(peak), peak_minute=peak_minute)
        for metric in LIMITED:
            if metric in entered:
                result.over[metric] = row[at]
            at += 1
        result.throttled = row[at] if entered else None
        out[(grp, day)] = result
    return out


def _minute_rows(since: date, until: date) -> list[dict]:
    """Each team's totals per minute (the team_minutes of the SQL above)."""
    return list(
        MinuteUsage.objects.filter(day__gte=since, day__lte=until)
        .values("day", "minute", grp=Coalesce("developer__team_id", Value(NO_TEAM), output_field=IntegerField()))
        .annotate(
            rpm=Sum("requests"), itpm=Sum(F("input_tokens") + F("cache_write_tokens")),
            itpm_all=Sum(F("input_tokens") + F("cache_write_tokens") + F("cache_read_tokens")),
            otpm=Sum("output_tokens"), limited=Sum("rate_limited"),
        )
        .order_by()
    )


def _in_python(since: date, until: date, limits: dict) -> dict[tuple, GroupDay]:
    teams = _minute_rows(since, until)
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
        groups[(row["grp"], None)].append(row)
    entered = [m for m in LIMITED if limits.get(m) is not None]
    out = {}
    for key, rows in groups.items():
        active = [r for r in rows if r["rpm"] > 0]
        result = GroupDay(minutes=len(active), rate_limited=sum(r["limited"] for r in rows))
        if active:
            result.metrics = {m: stats_of([(r["minute"], r[m]) for r in active]) for m in METRICS}
        result.over = {m: sum(1 for r in rows if r[m] > limits[m]) for m in entered}
        if entered:
            result.throttled = sum(1 for r in rows if any(r[m] > limits[m] for m in entered))
        out[key] = result
    return out


def scope_minute_stats(since: date, until: date, limits: dict[str, int | None]) -> dict[tuple, GroupDay]:
    """{(group, day or None): GroupDay} for the org (ORG), each team (its id) and NO_TEAM, over the
    org-local days [since, until]. ``limits``: {"rpm", "itpm", "otpm"} (None: not entered)."""
    if connection.vendor == "postgresql":
        return _in_database(since, until, limits)
    return _in_python(since, until, limits)
