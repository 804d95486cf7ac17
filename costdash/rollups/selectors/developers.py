"""Reads for the Developers pages: the table of every developer in a scope, and one developer's
daily cost, cache hit rate by day, model mix, sessions and activity.

Rollups only (DailyCost, SessionDay, DailyActivity), always through a Scope. Developer-days,
"active" and P90 are as in selectors.spend. Sessions and activity are not per model: the
model filter does not apply to them.

The Developers table narrows by the scope's project (Scope.costs(): the project's DailyDimensionCost
rows, which add up to DailyCost exactly): spend, requests, tokens, cache hit rate and main model are
the project's; a developer-day is active, over the ceiling or counted in P90 on its spend and usage in
the project; sessions are the project's SessionDay sessions (daily reports' session counts are not
per project: not shown). One developer's page does not narrow (the view shows its projects apart).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum, Value

from costdash.lib.dates import month_after
from costdash.lib.money import ZERO
from costdash.rollups.models import SessionMonth, SessionSpan
from costdash.rollups.scope import Scope
from costdash.rollups.thresholds import percentile

from . import developer_days_sql as in_sql
from .developer_days import active_costs, daily_points, developer_days, developer_rows
from .overview import day_model_totals, priced_spend_by_day_and_model, unpriced_models_in
from .repricing import SUM_FIELDS, Tokens, sums_of_parts, token_sums
from .spend import P90

ACTIVITY_FIELDS = (
    "sessions", "lines_added", "lines_removed", "commits", "pull_requests", "edits_accepted", "edits_rejected",
    "active_seconds",
)
SESSIONS_FROM_SESSION_DAYS, SESSIONS_FROM_ACTIVITY = "session_days", "activity"

# The table's sortable columns: ?sort=<key>. A None value sorts last in either direction.
SORT_KEYS: dict[str, Callable[[dict], object]] = {
    "developer": lambda row: row["developer"].lower(),
    "team": lambda row: row["team"].lower() or None,
    "spend": lambda row: row["spend"],
    "active_days": lambda row: row["active_days"],
    "average": lambda row: row["average_per_active_day"],
    "p90": lambda row: row["p90"],
    "worst_day": lambda row: row["worst_day_cost"],
    "days_over_ceiling": lambda row: row["days_over_ceiling"],
    "cache_hit_rate": lambda row: row["cache_hit_rate"],
    "main_model": lambda row: row["main_model"].lower() if row["main_model"] else None,
    "sessions": lambda row: row["sessions"],
}
TEXT_COLUMNS = frozenset({"developer", "team", "main_model"})
DEFAULT_SORT = "spend"
# The per-developer daily chart draws the top spenders only: past a dozen lines it is a tangle (and a
# year of 200 developers would be 70K points); the table lists everyone.
CHARTED = 12


def sort_rows(rows: list[dict], column: str, descending: bool) -> list[dict]:
    """``rows`` sorted by a SORT_KEYS column (an unknown one: DEFAULT_SORT); ties by developer name,
    rows with no value (None) last either way."""
    key = SORT_KEYS.get(column, SORT_KEYS[DEFAULT_SORT])
    by_name = sorted(rows, key=lambda row: (row["developer"].lower(), row["developer_id"]))
    present = [row for row in by_name if key(row) is not None]
    present.sort(key=key, reverse=descending)  # stable: equal values keep the name order
    return present + [row for row in by_name if key(row) is None]


def _model_figures(scope: Scope, developer_ids=None) -> dict[int, dict]:
    """developer id -> {"cache_hit_rate", "main_model"}, from one (developer, model) grouped query.

    The cache hit rate is repricing.Tokens.hit_rate: cache reads over all input tokens
    (uncached + cache writes + cache reads). The main model is the one with the most spend; on
    equal spend (all unpriced, say) the most requests, then the model name that sorts first.
    """
    rows = scope.costs() if developer_ids is None else scope.costs().filter(developer_id__in=developer_ids)
    grouped = (
        rows.values("developer_id", "model")
        .annotate(cost=Sum("cost"), requests=Sum("requests"), **token_sums())
        .order_by("developer_id", "model")
    )
    if not scope.project and in_sql.in_database():
        grouped = _by_model_with_months(scope, developer_ids) or grouped
    out: dict[int, dict] = {}
    for row in grouped:
        figures = out.setdefault(row["developer_id"], {"tokens": Tokens(), "rank": None})
        figures["tokens"] += Tokens.of(row)
        rank = (row["cost"] or ZERO, row["requests"] or 0)
        if figures["rank"] is None or rank > figures["rank"]:  # rows come by model name: ">" keeps the first
            figures["rank"], figures["main_model"] = rank, row["model"]
    return {dev: {"cache_hit_rate": f["tokens"].hit_rate, "main_model": f["main_model"]} for dev, f in out.items()}


def _by_model_with_months(scope: Scope, developer_ids) -> list[dict] | None:
    """_model_figures' (developer, model) sums with a range's whole months read from chargeback.MonthlyCost
    (DailyCost summed per developer, month and model) and the days around them from DailyCost, summed and
    ordered in the database as the one grouped query orders them; None when no month is read monthly.
    A partial month at either end with fewer days outside the range than in it is read monthly less its
    daily rows outside the range (``months_by_difference``), and a (developer, model) is kept only where
    daily rows are left (``MonthlyCost.daily_rows``)."""
    from costdash.chargeback.models import MonthlyCost  # chargeback builds on rollups
    from costdash.chargeback.projects import months_by_difference
    from costdash.rollups.models import DailyCost

    span = months_by_difference(scope.since, scope.until)
    if span is None:
        return None
    first, last, outside = span
    columns = ("developer_id", "model", "cost", "requests", *SUM_FIELDS)
    monthly = scope.of_developers(MonthlyCost.objects.filter(month__gte=first, month__lte=last))
    if scope.model:
        monthly = monthly.filter(model=scope.model)
    daily = scope.daily_costs().filter(Q(day__lt=first) | Q(day__gte=month_after(last)))
    sources = [(monthly, F("daily_rows"), False), (daily, Value(1), False)]
    if outside:  # the partial months' days outside the range, subtracted
        minus = Q(pk__in=[])
        for start, end in outside:
            minus |= Q(day__gte=start, day__lte=end)
        subtracted = scope.of_developers(DailyCost.objects.filter(minus))
        sources.append((subtracted.filter(model=scope.model) if scope.model else subtracted, Value(1), True))
    counted = bool(outside)  # then each part says how many daily rows it stands for
    parts = []
    for rows, n, negated in sources:
        if developer_ids is not None:
            rows = rows.filter(developer_id__in=developer_ids)
        if counted:
            rows = rows.annotate(n=n)
        parts.append((rows.values(*columns, *(("n",) if counted else ())).order_by(), negated))
    sql, params = sums_of_parts(parts, columns[:2], columns[2:], counted=counted)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ORDER BY developer_id, model", params)
        return [
            {"developer_id": dev, "model": model, "cost": cost, **dict(zip(columns[3:], map(int, counts), strict=True))}
            for dev, model, cost, *counts in cursor.fetchall()
        ]


def session_counts(scope: Scope, by_project: bool = False, developer_ids=None) -> dict[int, tuple[int, str]]:
    """developer id -> (sessions, where counted from), two grouped queries.

    SESSIONS_FROM_SESSION_DAYS: the distinct session ids in SessionDay (from per-request sources;
    a session spanning days counts once). Used whenever the developer has SessionDay rows in
    range. Otherwise SESSIONS_FROM_ACTIVITY: the sum of DailyActivity.sessions (daily reports
    such as Claude Code Analytics count per day, so a session spanning days may count twice).
    A developer with neither is missing. ``by_project`` under a project filter: the project's
    SessionDay sessions only (DailyActivity is not per project). ``developer_ids``: those only.
    """
    narrowed = by_project and bool(scope.project)
    session_days = scope.session_days().filter(project__in=scope.repositories) if narrowed else scope.session_days()
    activity = scope.daily_activity()
    if developer_ids is not None:
        session_days = session_days.filter(developer_id__in=developer_ids)
        activity = activity.filter(developer_id__in=developer_ids)
    months = in_sql._whole_months(scope)
    if months is None:
        # The distinct (developer, session) pairs hashed, then counted: a third quicker than COUNT(DISTINCT),
        # which sorts each developer's session ids (a year of 100 developers: 90,000 rows).
        pairs, params = session_days.values("developer_id", "session_id").distinct().order_by().query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT developer_id, COUNT(*) FROM ({pairs}) AS pairs GROUP BY developer_id", params)
            from_sessions = cursor.fetchall()
    else:
        from_sessions = _session_counts_by_month(
            scope, session_days, *months, scope.repositories if narrowed else None, developer_ids)
    from_activity = () if narrowed else (
        activity.values("developer_id").annotate(n=Sum("sessions"))
        .values_list("developer_id", "n").order_by()
    )
    out = {dev: (n or 0, SESSIONS_FROM_ACTIVITY) for dev, n in from_activity}
    out.update({dev: (n, SESSIONS_FROM_SESSION_DAYS) for dev, n in from_sessions})
    return out


def _session_counts_by_month(scope: Scope, session_days: QuerySet, first, last, repositories,
                             developer_ids) -> list[tuple[int, int]]:
    """[(developer id, distinct sessions)] of a range holding the whole months ``first``..``last``
    (first days): rollups.session_months' way, as the Projects page counts them. A developer's sessions
    lying wholly in one month and one project are summed from SessionMonth; the others' ids (SessionSpan
    rows of those months) and the days around the months (SessionDay) are made distinct together, so a
    session reaching into the days around counts once. Equal to the distinct SessionDay pairs; a year
    of 100 developers reads ~1,200 SessionMonth rows and a month of SessionDay rows instead of a year's."""
    spans = scope.of_developers(SessionSpan.objects.filter(month__gte=first, month__lte=last))
    simple = scope.of_developers(SessionMonth.objects.filter(month__gte=first, month__lte=last))
    # The days before the months and after them as two parts, each a plain range (with the two in one OR,
    # PostgreSQL read all of the developers' session-days and filtered them: 57 -> ~10 ms for 100 developers).
    around = [session_days.filter(day__lt=first), session_days.filter(day__gte=month_after(last))]
    if repositories is not None:
        spans, simple = spans.filter(project__in=repositories), simple.filter(project__in=repositories)
    if developer_ids is not None:
        spans, simple = spans.filter(developer_id__in=developer_ids), simple.filter(developer_id__in=developer_ids)
    first_part, *others = [rows.values_list("developer_id", "session_id").order_by() for rows in (*around, spans)]
    # Django writes the union as each database takes it (SQLite has no parenthesised SELECTs in a UNION).
    parts, params = first_part.union(*others, all=True).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT developer_id, COUNT(*) FROM (SELECT DISTINCT developer_id, session_id FROM ({parts}) AS parts) "
            "AS pairs GROUP BY developer_id",
            params,
        )
        counted = Counter(dict(cursor.fetchall()))
    counted.update(dict(simple.values("developer_id").annotate(n=Sum("sessions")).values_list("developer_id", "n")
                        .order_by()))
    return [(dev, n) for dev, n in counted.items() if n]


def developer_table(
    scope: Scope, *, ceiling: Decimal, sort: str = DEFAULT_SORT, descending: bool = True, charted: int = CHARTED,
    with_costs: bool = False, lazy: bool = False,
) -> dict:
    """The Developers table, in a few grouped queries whatever the number of developers; narrowed by the
    scope's project as the module says.

    Keys: developers (one row per developer with rollup rows in scope, sorted by sort_rows; keys
    of developer_days.developer_rows plus cache_hit_rate, main_model, sessions and sessions_from
    (see session_counts; None when neither source has any)), p90 (the team's), chart_days
    (developer_days.daily_points of the ``charted`` top spenders), charted (how many that is), folded
    (developer id -> developer_days.DeveloperDays) and fill.

    On PostgreSQL (developer_days_sql.in_database) the developer-days are folded in the database. With
    ``lazy`` a row's P90, worst day, cache hit rate, main model and sessions are left (None) for
    ``fill(rows)`` to find, for the rows a page shows (a page of a 2,000 developers' table shows 100):
    call it on them before reading those keys (again on rows already filled costs nothing). Sorting by
    one of them fills every row first; without ``lazy`` every row is filled. ``with_costs`` (monthly
    reports: their per-team P90s) folds in Python, every row complete and each DeveloperDays with its
    days and costs; ``fill`` then does nothing.
    """
    if with_costs or not in_sql.in_database():
        return _table_folded_in_python(scope, ceiling, sort, descending, charted)
    folded = in_sql.developer_totals(scope, ceiling, by_project=True)
    rows = developer_rows(folded)
    filled: set[int] = set()

    def fill(shown: list[dict]) -> list[dict]:
        wanted = [row for row in shown if row["developer_id"] not in filled]
        if not wanted:
            return shown
        ids = [row["developer_id"] for row in wanted]
        everyone = len(ids) == len(rows)
        chosen = None if everyone else ids  # every developer: no id list to send
        in_sql.add_p90_and_worst_day(scope, wanted, chosen, P90, by_project=True)
        _add_model_and_sessions(scope, wanted, chosen)
        filled.update(ids)
        return shown

    if sort in FILLED_LATER or not lazy:
        fill(rows)
    counted = in_sql.active_costs(scope, by_project=True)
    charted_rows = rows[:charted]
    days = in_sql.days_of(scope, [row["developer_id"] for row in charted_rows], by_project=True)
    for row in charted_rows:
        folded[row["developer_id"]].days = days[row["developer_id"]]
    return {
        "developers": sort_rows(rows, sort, descending),
        "p90": in_sql.percentile_of(scope, counted, P90, by_project=True),
        "chart_days": daily_points(folded, charted_rows),
        "charted": min(charted, len(rows)),
        "folded": folded,
        "fill": fill,
    }


# The columns developer_table leaves to ``fill`` when it folds in the database.
FILLED_LATER = frozenset({"p90", "cache_hit_rate", "main_model", "sessions"})


def _add_model_and_sessions(scope: Scope, rows: list[dict], developer_ids=None) -> None:
    models = _model_figures(scope, developer_ids)
    sessions = session_counts(scope, by_project=True, developer_ids=developer_ids)
    for row in rows:
        dev = row["developer_id"]
        row.update(models.get(dev, {"cache_hit_rate": None, "main_model": None}))
        row["sessions"], row["sessions_from"] = sessions.get(dev, (None, None))


def _table_folded_in_python(scope: Scope, ceiling: Decimal, sort: str, descending: bool, charted: int) -> dict:
    folded = developer_days(scope, ceiling, by_project=True)
    rows = developer_rows(folded)
    _add_model_and_sessions(scope, rows)
    return {
        "developers": sort_rows(rows, sort, descending),
        "p90": percentile(active_costs(folded), P90),
        "chart_days": daily_points(folded, rows[:charted]),
        "charted": min(charted, len(rows)),
        "folded": folded,
        "fill": lambda shown: shown,
    }


def model_mix(rows: list[dict]) -> list[dict]:
    """Fold day_model_totals rows by model, most spend first (then most requests, then name).

    Keys: model, cost, share (of the priced spend, a fraction; None when there is none),
    requests, unpriced_requests, tokens (every kind, output included).
    """
    out: dict[str, dict] = {}
    for row in rows:
        mix = out.setdefault(row["model"], {"model": row["model"], "cost": ZERO, "requests": 0,
                                            "unpriced_requests": 0, "tokens": 0})
        mix["cost"] += row["cost"]
        mix["requests"] += row["requests"]
        mix["unpriced_requests"] += row["unpriced_requests"]
        mix["tokens"] += row["tokens"].total
    total = sum((mix["cost"] for mix in out.values()), ZERO)
    for mix in out.values():
        mix["share"] = mix["cost"] / total if total > 0 else None
    return sorted(out.values(), key=lambda m: (-m["cost"], -m["requests"], m["model"]))


def cache_by_day(rows: list[dict]) -> list[dict]:
    """Fold day_model_totals rows by day, by day: [{"day", "hit_rate", "cache_read", "all_input"}]
    (the rows charts.cache.hit_rate_per_day_figure draws; hit_rate None on a day without input)."""
    out: dict = {}
    for row in rows:
        out[row["day"]] = out.get(row["day"], Tokens()) + row["tokens"]
    return [
        {"day": day, "hit_rate": tokens.hit_rate, "cache_read": tokens.cache_read, "all_input": tokens.all_input}
        for day, tokens in sorted(out.items())
    ]


def activity_totals(scope: Scope) -> dict | None:
    """The DailyActivity sums over the scope (keys: days, and each of ACTIVITY_FIELDS); None when
    no source reported activity in range."""
    totals = scope.daily_activity().aggregate(days=Count("id"), **{f: Sum(f) for f in ACTIVITY_FIELDS})
    return totals if totals["days"] else None


def developer_detail(scope: Scope, *, ceiling: Decimal) -> dict:
    """One developer's page (``scope.developers`` holds just them), in six queries.

    Keys: summary (their developer_days.developer_rows row plus cache_hit_rate, main_model,
    sessions, sessions_from, requests; None without rollup rows), days ([{"day", "cost"}] by day),
    cache_by_day, by_model (overview.priced_spend_by_day_and_model), model_mix, activity
    (activity_totals), unpriced_models (as spend.unpriced_models).
    """
    folded = developer_days(scope, ceiling, by_project=True)  # a chosen project's figures (Scope.costs)
    totals = day_model_totals(scope, by_project=True)
    mix = model_mix(totals)
    summary, days = None, []
    if folded:
        (summary,) = developer_rows(folded)
        (dev,) = folded.values()
        days = [{"day": day, "cost": cost} for day, cost in sorted(dev.days)]
        tokens = sum((row["tokens"] for row in totals), Tokens())
        sessions = session_counts(scope, by_project=True).get(summary["developer_id"], (None, None))
        summary |= {
            "cache_hit_rate": tokens.hit_rate, "main_model": mix[0]["model"] if mix else None,
            "sessions": sessions[0], "sessions_from": sessions[1],
            "requests": sum(m["requests"] for m in mix),  # the Spend card's count (it was missing: issue 13)
        }
    return {
        "summary": summary, "days": days, "cache_by_day": cache_by_day(totals),
        "by_model": priced_spend_by_day_and_model(totals), "model_mix": mix, "activity": activity_totals(scope),
        "unpriced_models": unpriced_models_in(totals),
    }


def developer_sessions(scope: Scope) -> QuerySet:
    """The scope's sessions, latest start first: one row per (developer, session id) summing its
    days in range (a session reaching outside the range shows only its part inside).

    Row keys: developer_id, session_id, first_at, last_at, last_day, requests, unpriced_requests, cost,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens (what selectors.sessions'
    session_figures and sessions_flag take) and tokens (their sum). Lazy: page it with a Paginator.
    """
    tokens = F("input_tokens") + F("output_tokens") + F("cache_read_tokens") + F("cache_write_tokens")
    return (
        scope.session_days().values("developer_id", "session_id")
        # tokens first: the sums below take the columns' names, and F() would then name the sums
        .annotate(tokens=Sum(tokens), first_at=Min("first_at"), last_at=Max("last_at"), last_day=Max("day"),
                  requests=Sum("requests"), unpriced_requests=Sum("unpriced_requests"), cost=Sum("cost"),
                  input_tokens=Sum("input_tokens"), output_tokens=Sum("output_tokens"),
                  cache_read_tokens=Sum("cache_read_tokens"), cache_write_tokens=Sum("cache_write_tokens"))
        .order_by("-first_at", "session_id")
    )


def session_minutes(row: dict) -> int:
    """A developer_sessions row's length: whole minutes from its first to its last request, rounded."""
    return round((row["last_at"] - row["first_at"]).total_seconds() / 60)
