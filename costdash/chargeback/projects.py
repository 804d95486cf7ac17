"""Projects: spend, requests, developers, sessions, cache hit rate and model mix per project.

A project is the repository of a request's working directory (parsers.dimensions.repository_of),
read from DailyDimensionCost.project (spend, requests, tokens, developers, models) and
SessionDay.project (sessions), both rebuilt by the rollup recompute, and from their month and org
rollups where a range allows (MonthlyDimensionCost, ProjectDeveloperMonth, OrgProjectDay and
OrgProjectMonth, ProjectDeveloperDay; SessionMonth, SessionSpan, SessionTotal and
OrgProjectSessionDay), with the same figures. ProjectAlias renames a
repository; several repositories given one name are one project (merged in the database, so a
developer or a session in two of them counts once). Sources without a working directory are
"unknown project", never guessed; rows built before the project column existed (their day not yet
recomputed) are AWAITING.

A Scope's ``project`` (a shown name) and ``repositories`` (the repositories it stands for) narrow
every query here; the model filter narrows all but sessions (a session is not per model).
"""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Case, CharField, Count, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from costdash.ingest.parsers.dimensions import UNKNOWN_PROJECT
from costdash.lib.dates import month_after, month_end
from costdash.rollups.models import SessionDay, SessionMonth, SessionSpan, SessionTotal
from costdash.rollups.scope import Scope
from costdash.rollups.selectors.repricing import token_sums

from .models import (
    DailyDimensionCost,
    MonthlyDimensionCost,
    OrgProjectDay,
    OrgProjectMonth,
    OrgProjectSessionDay,
    ProjectAlias,
    ProjectDeveloperDay,
    ProjectDeveloperMonth,
)

AWAITING = "(awaiting recompute)"
TOKENS = ("input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens")


def project_aliases() -> dict[str, str]:
    """{repository: shown name} of every ProjectAlias."""
    return dict(ProjectAlias.objects.values_list("repository", "name"))


def project_name(repository: str, aliases: dict[str, str]) -> str:
    """The name a repository is shown by: its alias, else itself; AWAITING for "" (not yet recomputed)."""
    if not repository:
        return AWAITING
    return aliases.get(repository, repository)


def shown_project(aliases: dict[str, str], field: str = "project"):
    """A database expression of a row's shown project name (``project_name`` in SQL), to group by."""
    whens = [When(**{field: repository}, then=Value(name)) for repository, name in aliases.items()]
    whens.append(When(**{field: ""}, then=Value(AWAITING)))
    return Case(*whens, default=F(field), output_field=CharField())


# The distinct projects of every developer by skipping along the (project, day) index: a few
# index probes per project instead of reading every row (as spend.models_in_rollups does for
# models), with each one's name, in one query.
_PROJECTS_LOOSE_SCAN = """
WITH RECURSIVE p AS (
    (SELECT project FROM chargeback_dailydimensioncost WHERE project > '' ORDER BY project LIMIT 1)
    UNION ALL
    SELECT (SELECT d.project FROM chargeback_dailydimensioncost d WHERE d.project > p.project
            ORDER BY d.project LIMIT 1)
    FROM p WHERE p.project IS NOT NULL
)
SELECT p.project, a.name FROM p LEFT JOIN chargeback_projectalias a ON a.repository = p.project
WHERE p.project IS NOT NULL
"""


def repositories_named_in_rollups(developers=None) -> list[tuple[str, str | None]]:
    """[(repository, its ProjectAlias name or None)] with any DailyDimensionCost row: of everyone
    (``developers`` None), or of these. One query."""
    if developers is None and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_PROJECTS_LOOSE_SCAN)
            return list(cursor.fetchall())
    rows = DailyDimensionCost.objects.all() if developers is None else \
        DailyDimensionCost.objects.filter(developer__in=developers)
    name = Subquery(ProjectAlias.objects.filter(repository=OuterRef("project")).values("name")[:1])
    return list(rows.exclude(project="").annotate(name=name).values_list("project", "name").distinct().order_by())


def repositories_in_rollups(developers=None) -> list[str]:
    """The repositories with any DailyDimensionCost row: of everyone (``developers`` None), or of these."""
    return [repository for repository, _ in repositories_named_in_rollups(developers)]


def project_choices(developers=None) -> list[tuple[str, tuple[str, ...]]]:
    """[(shown name, its repositories)] with any usage of ``developers`` (None: everyone), by name:
    the filter's choices. One query."""
    names: dict[str, list[str]] = {}
    for repository, name in repositories_named_in_rollups(developers):
        names.setdefault(name or repository, []).append(repository)
    return sorted(((name, tuple(sorted(r))) for name, r in names.items()), key=lambda c: c[0].lower())


def _narrowed(rows, scope: Scope):
    if scope.model:
        rows = rows.filter(model=scope.model)
    if scope.project:
        rows = rows.filter(project__in=scope.repositories)
    return rows


def _costs(scope: Scope):
    return _narrowed(DailyDimensionCost.objects.filter(developer__in=scope.developers, day__gte=scope.since,
                                                       day__lte=scope.until), scope)


def whole_months(since: date, until: date) -> tuple[date, date] | None:
    """(first day of the first, first day of the last) of the calendar months lying wholly in
    [since, until]; None when there is none."""
    first = since if since.day == 1 else month_after(since)
    after = until + timedelta(days=1)
    last = after.replace(day=1) - timedelta(days=1)  # the last day of the last whole month
    if last < first:
        return None
    return first, last.replace(day=1)


def months_by_difference(since: date, until: date) -> tuple[date, date, list[tuple[date, date]]] | None:
    """(first, last, outside) for a monthly rollup whose rows are exact sums of their days (MonthlyCost):
    the months (first days) to read monthly, the range's whole months widened by the partial month at
    either end when fewer of its days lie outside the range than inside, and ``outside``: those partial
    months' days outside the range, as inclusive (from, to) pairs, whose daily rows are subtracted. A
    year ending on the 7th reads the first month whole less its 7 days before the range (instead of its
    24 days in it). The other days of the range are read from the daily rows as around whole months.
    None when no month is read monthly."""
    whole = whole_months(since, until)
    first, last = whole if whole else (None, None)
    outside: list[tuple[date, date]] = []
    lead = since.replace(day=1)
    if since.day != 1 and month_after(lead) <= until and (since - lead).days < (month_after(lead) - since).days:
        first = lead
        outside.append((lead, since - timedelta(days=1)))
        last = last or lead
    tail = until.replace(day=1)
    end = month_end(until)
    if until != end and tail > since and (end - until).days < until.day:
        last = tail
        first = first or tail
        outside.append((until + timedelta(days=1), end))
    if first is None:
        return None
    return first, last, outside


def _days_around(scope: Scope, first: date, last: date) -> Q:
    """The scope's days before the whole months ``first``..``last`` (first days) and after them."""
    return Q(day__gte=scope.since, day__lt=first) | Q(day__gte=month_after(last), day__lte=scope.until)


def _cost_parts(scope: Scope) -> list:
    """The scope's DailyDimensionCost figures as querysets with the same columns (developer_id,
    model, project and the sums' fields): its whole months from MonthlyDimensionCost (a row a
    developer, model and project a month), the days around them from DailyDimensionCost. Summed
    together they are ``_costs(scope)``'s sums exactly."""
    months = whole_months(scope.since, scope.until)
    if months is None:
        return [_costs(scope)]
    first, last = months
    days = scope.of_developers(DailyDimensionCost.objects.filter(_days_around(scope, first, last)))
    monthly = scope.of_developers(MonthlyDimensionCost.objects.filter(month__gte=first, month__lte=last))
    return [_narrowed(monthly, scope), _narrowed(days, scope)]


def _sum_parts(scope: Scope) -> list:
    """``_cost_parts`` for sums per project and model only (no developer): for a scope of every developer
    the org's rollups, OrgProjectMonth for the whole months and OrgProjectDay for the days (a year of
    2,000 developers: ~20,000 rows instead of ~400,000); the same sums exactly."""
    if not scope.everyone:
        return _cost_parts(scope)
    months = whole_months(scope.since, scope.until)
    if months is None:
        return [_narrowed(OrgProjectDay.objects.filter(day__gte=scope.since, day__lte=scope.until), scope)]
    first, last = months
    return [_narrowed(OrgProjectMonth.objects.filter(month__gte=first, month__lte=last), scope),
            _narrowed(OrgProjectDay.objects.filter(_days_around(scope, first, last)), scope)]


def _day_ranges(scope: Scope) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """(the whole months of the scope's range as (first, last) first days, or None; the ranges of days
    around them, or the whole range when it holds no whole month), empty ranges left out."""
    months = whole_months(scope.since, scope.until)
    if months is None:
        return None, [(scope.since, scope.until)]
    first, last = months
    ranges = [(scope.since, first - timedelta(days=1)), (month_after(last), scope.until)]
    return months, [(since, until) for since, until in ranges if since <= until]


def _developer_parts(scope: Scope) -> list:
    """``_cost_parts`` for (project, developer) pairs: without a model filter, the whole months from
    ProjectDeveloperMonth and the days from ProjectDeveloperDay (a row a developer and project a month or
    day, not one a model and source too; read from their indexes alone), a queryset a range of days."""
    if scope.model:
        return _cost_parts(scope)
    months, ranges = _day_ranges(scope)
    parts = [scope.of_developers(ProjectDeveloperDay.objects.filter(day__gte=since, day__lte=until))
             for since, until in ranges]
    if months is not None:
        parts.append(scope.of_developers(ProjectDeveloperMonth.objects.filter(month__gte=months[0],
                                                                              month__lte=months[1])))
    return [_narrowed(rows, scope) for rows in parts]


def _united(querysets: list):
    return querysets[0].union(*querysets[1:], all=True) if len(querysets) > 1 else querysets[0]


def project_table(scope: Scope, *, totals: bool = True) -> dict:
    """The Projects page's figures over ``scope``:

    - projects: [{name, repositories (list), spend, requests, unpriced_requests, developers,
      sessions, tokens (dict of TOKENS), cache_hit_rate (cache reads over all input; None without
      input), models: [{model, spend, requests, share (of the project's spend; None at $0)}] by spend,
      main_model, share (of the total spend)}], most spend first;
    - total: spend, requests, unpriced_requests (their sum over projects: each request in one project);
    - developers, sessions: distinct over every project (a developer of two projects counts once).
    Up to seven queries however long the range, each grouped in the database: the sums per project and
    model (for everyone from the org's rollups); distinct developers per project and over all in one;
    distinct sessions in up to five (``_session_counts``). Without ``totals`` no developer counts
    (developers per project 0, and developers and sessions over every project None: a single
    developer's projects).
    """
    aliases = project_aliases()
    parts = [rows.annotate(shown=shown_project(aliases)) for rows in _sum_parts(scope)]
    sums = [rows.values("shown", "project", "model").annotate(
        spend=Coalesce(Sum("cost"), Decimal(0)), n=Sum("requests"), unpriced=Sum("unpriced_requests"),
        **{t: Sum(t) for t in TOKENS},
    ).order_by() for rows in parts]
    projects: dict[str, dict] = {}
    # One row per (repository, model) and part: a few hundred at most, however many days and developers.
    for row in _united(sums):
        p = projects.setdefault(row["shown"], _empty(row["shown"]))
        p["repositories"].add(row["project"])
        p["spend"] += row["spend"]
        p["requests"] += row["n"] or 0
        p["unpriced_requests"] += row["unpriced"] or 0
        for t in TOKENS:
            p["tokens"][t] += row[t] or 0
        m = p["by_model"].setdefault(row["model"], {"model": row["model"], "spend": Decimal(0), "requests": 0})
        m["spend"] += row["spend"]
        m["requests"] += row["n"] or 0
    developers = None
    if totals:
        pairs = [rows.annotate(shown=shown_project(aliases)).values("shown", "developer_id").order_by()
                 for rows in _developer_parts(scope)]
        per_project, developers = _distinct_counts(_united(pairs), ("developer_id",))
        for name, n in per_project.items():
            if name in projects:  # a day whose rows await their recompute has no spend row here
                projects[name]["developers"] = n
    per_project, sessions = _session_counts(scope, aliases)
    for name, n in per_project.items():
        if name in projects:  # sessions of a model filtered out have no spend row here
            projects[name]["sessions"] = n
    total = sum((p["spend"] for p in projects.values()), Decimal(0))
    lines = [_finish(p, total) for p in projects.values()]
    lines.sort(key=lambda p: (-p["spend"], p["name"] == UNKNOWN_PROJECT, p["name"].lower()))
    return {
        "projects": lines,
        "total": {"spend": total, "requests": sum(p["requests"] for p in lines),
                  "unpriced_requests": sum(p["unpriced_requests"] for p in lines)},
        "developers": developers,
        "sessions": sessions if totals else None,
    }


def _session_counts(scope: Scope, aliases: dict[str, str]) -> tuple[dict[str, int], int]:
    """({shown project: distinct sessions}, distinct sessions over every project) of the scope, a
    session being a developer's session id. Whole months from SessionMonth (sessions of one month and
    project, summed) and SessionSpan (the others, by id; rollups.session_months). The days around them,
    or a range without a whole month: for every developer, OrgProjectSessionDay summed (a session of one
    day and one project is one of its sessions and in no other row) less the SessionDay rows of the few
    sessions of several days or projects (SessionTotal's partial indexes find them), which are counted by
    id instead; for fewer developers, their SessionDay rows by id. Everything counted by id is made
    distinct in one query, so a session reaching from the days into the months counts once."""
    months, ranges = _day_ranges(scope)
    shown = shown_project(aliases)
    per_project: Counter[str] = Counter()
    every = 0
    pairs = []
    for since, until in ranges:
        days = scope.of_developers(SessionDay.objects.filter(day__gte=since, day__lte=until))
        summed = OrgProjectSessionDay.objects.filter(day__gte=since, day__lte=until)
        if scope.project:
            days, summed = days.filter(project__in=scope.repositories), summed.filter(project__in=scope.repositories)
        if not scope.everyone:
            pairs.append(days)
            continue
        for name, n in summed.annotate(shown=shown).values("shown").annotate(n=Sum("sessions")).values_list(
                "shown", "n").order_by():
            per_project[name] += n
            every += n
        parts = [days.filter(q) for q in _sessions_of_several(since, until)]
        for rows in parts:  # their rows were in the sums: taken out, each session counts once by id below
            for name, n in rows.annotate(shown=shown).values("shown").annotate(n=Count("pk")).values_list(
                    "shown", "n").order_by():
                per_project[name] -= n
                every -= n
        pairs.extend(parts)
    if months is not None:
        first, last = months
        spans = scope.of_developers(SessionSpan.objects.filter(month__gte=first, month__lte=last))
        simple = scope.of_developers(SessionMonth.objects.filter(month__gte=first, month__lte=last))
        if scope.project:
            spans, simple = (rows.filter(project__in=scope.repositories) for rows in (spans, simple))
        pairs.append(spans)
        for name, n in simple.annotate(shown=shown).values("shown").annotate(n=Sum("sessions")).values_list(
                "shown", "n").order_by():
            per_project[name] += n
            every += n
    if pairs:
        found, n = _distinct_counts(
            _united([rows.annotate(shown=shown).values("shown", "developer_id", "session_id").order_by()
                     for rows in pairs]),
            ("developer_id", "session_id"),
        )
        per_project.update(found)
        every += n
    return {name: n for name, n in per_project.items() if n}, every


def _sessions_of_several(since: date, until: date, developers_a_part: int = 200,
                         sessions_a_part: int = 5_000) -> list[Q]:
    """Conditions on SessionDay picking the sessions with a day in ``since``..``until`` and of several days
    or of several projects (the few that SessionTotal's two partial indexes hold), by developer and
    session id; none when there is no such session. Each condition names at most ``developers_a_part``
    developers and ``sessions_a_part`` session ids (a query's parameters and SQLite's expression depth
    stay bounded however many there are)."""
    overlapping = Q(first_day__lte=until, last_day__gte=since)
    found: dict[int, list[str]] = {}
    for developer, session in SessionTotal.objects.filter(
            (Q(first_day__lt=F("last_day")) & overlapping) | (Q(projects__gt=1) & overlapping)
    ).values_list("developer_id", "session_id").order_by():
        found.setdefault(developer, []).append(session)
    conditions: list[Q] = []
    q, terms, size = Q(), 0, 0
    for developer in sorted(found):
        sessions = found[developer]
        for i in range(0, len(sessions), sessions_a_part):
            chunk = sessions[i : i + sessions_a_part]
            if terms and (terms == developers_a_part or size + len(chunk) > sessions_a_part):
                conditions.append(q)
                q, terms, size = Q(), 0, 0
            q |= Q(developer_id=developer, session_id__in=chunk)
            terms, size = terms + 1, size + len(chunk)
    if terms:
        conditions.append(q)
    return conditions


# Distinct values per shown project and over every project, in one statement: the (project, value)
# pairs first (a hash of the rows in range down to a few per project and value), then both counts
# from those pairs, so neither count sorts every row of the range (COUNT(DISTINCT) per group does).
_DISTINCT_COUNTS = """
WITH pairs AS MATERIALIZED (SELECT DISTINCT shown, {columns} FROM ({pairs}) rows)
SELECT shown, COUNT(*) FROM pairs GROUP BY shown
UNION ALL
SELECT NULL, COUNT(*) FROM (SELECT DISTINCT {columns} FROM pairs) every_project
"""


def _distinct_counts(pairs, columns: tuple[str, ...]) -> tuple[dict[str, int], int]:
    """({shown project: distinct ``columns`` values}, distinct ``columns`` values over all) of
    ``pairs`` (a queryset of (shown, *``columns``) rows, repeats allowed: the parts of a range are
    united with UNION ALL and made distinct once, in one sort or hash, not once a part and again for
    the union). One query."""
    pairs, params = pairs.query.sql_with_params()
    per_project: dict[str, int] = {}
    every = 0
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(_DISTINCT_COUNTS.format(pairs=pairs, columns=quoted), params)
        for shown, n in cursor.fetchall():
            if shown is None:
                every = n
            else:
                per_project[shown] = n
    return per_project, every


def _empty(name: str) -> dict:
    return {"name": name, "repositories": set(), "spend": Decimal(0), "requests": 0, "unpriced_requests": 0,
            "developers": 0, "sessions": 0, "tokens": dict.fromkeys(TOKENS, 0), "by_model": {}}


def _finish(p: dict, total: Decimal) -> dict:
    tokens = p["tokens"]
    all_input = tokens["input_tokens"] + tokens["cache_write_5m_tokens"] + tokens["cache_write_1h_tokens"] \
        + tokens["cache_read_tokens"]
    models = sorted(p.pop("by_model").values(), key=lambda m: (-m["spend"], -m["requests"], m["model"]))
    for m in models:
        m["share"] = m["spend"] / p["spend"] if p["spend"] else None
    return p | {
        "repositories": sorted(p["repositories"]),
        "cache_hit_rate": Decimal(tokens["cache_read_tokens"]) / Decimal(all_input) if all_input else None,
        "models": models,
        "main_model": models[0]["model"] if models else None,
        "share": p["spend"] / total if total else None,
    }


def developer_projects(scope: Scope) -> list[dict]:
    """One developer's (or any scope's) projects: [{name, spend, requests, sessions, share}], most
    spend first; the project column of a developer's page and API."""
    return [
        {k: p[k] for k in ("name", "spend", "requests", "unpriced_requests", "sessions", "share", "main_model")}
        for p in project_table(scope, totals=False)["projects"]
    ]


def project_spend_outside(scope: Scope, split: Decimal | None = None) -> Decimal:
    """Spend in ``scope`` (no project filter) not yet split by project: DailyCost less
    DailyDimensionCost (days awaiting their recompute after an upgrade); 0 when they agree.
    ``split``: the scope's DailyDimensionCost spend when already known (``project_table``'s total),
    saving a second pass over the range's rows. One query (two without ``split``)."""
    # Every developer: OrgDailyCost (DailyCost summed per day, model and source: a year is ~2,000 rows at
    # 2,000 developers); else DeveloperDay, each developer-day's DailyCost rows summed (a third of the rows).
    if scope.everyone:
        rows = scope.day_model_costs(by_project=False)
    else:
        rows = scope.daily_costs() if scope.model else scope.developer_days()
    daily = rows.aggregate(s=Coalesce(Sum("cost"), Decimal(0)))["s"]
    if split is None:
        split = _costs(scope).aggregate(s=Coalesce(Sum("cost"), Decimal(0)))["s"]
    return daily - split


def repositories_named(name: str) -> list[str]:
    """The repositories shown as ``name`` (its aliases, and itself when not renamed)."""
    aliases = project_aliases()
    named = [repository for repository, shown in aliases.items() if shown == name]
    if name not in aliases:
        named.append(name)
    return sorted(set(named))



def project_day_totals(scope: Scope):
    """``rollups.selectors.spend.developer_day_totals`` narrowed to the scope's project: the same
    keys, summed from DailyDimensionCost (no cache-split counts: 0), by day then developer id."""
    return (
        _costs(scope).values("developer_id", "day")
        .annotate(cost=Sum("cost"), requests=Sum("requests"), unpriced_requests=Sum("unpriced_requests"),
                  split_assumed=Value(0), split_recovered=Value(0), **token_sums())
        .order_by("day", "developer_id")
    )


def projects_of_days(scope: Scope, pairs: list[tuple[int, date]]) -> dict[tuple[int, date], list[dict]]:
    """(developer id, day) -> [{project (shown name), cost, requests}] most spend first, for these
    developer-days of the scope (a page of the API's daily costs). One query."""
    if not pairs:
        return {}
    aliases = project_aliases()
    developers = {developer for developer, _ in pairs}
    days = [day for _, day in pairs]
    rows = _costs(scope).filter(developer_id__in=developers, day__gte=min(days), day__lte=max(days))
    found: dict[tuple[int, date], dict[str, dict]] = {}
    wanted = set(pairs)
    for row in rows.values("developer_id", "day", "project").annotate(cost=Sum("cost"), n=Sum("requests")).order_by():
        key = (row["developer_id"], row["day"])
        if key not in wanted:
            continue
        name = project_name(row["project"], aliases)
        line = found.setdefault(key, {}).setdefault(name, {"project": name, "cost": Decimal(0), "requests": 0})
        line["cost"] += row["cost"] or 0
        line["requests"] += row["n"] or 0
    return {key: sorted(lines.values(), key=lambda p: (-p["cost"], p["project"])) for key, lines in found.items()}
