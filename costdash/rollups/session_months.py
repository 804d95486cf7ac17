"""SessionMonth and SessionSpan: distinct sessions over whole months from a row a developer,
month and project, instead of every SessionDay row.

A session (of one developer) that lies wholly in one month and one project is *simple*: it is
counted in SessionMonth(developer, month, project). Every other session (several months, or
several projects) has a SessionSpan row for each (month, project) it touches. Over whole months
W, the distinct sessions of a project are then the SessionMonth sums plus the distinct session
ids of the SessionSpan rows; the days of a range around W come from SessionDay and are merged
with the spans by session id (a simple session of W never has a day outside its month, so nothing
is counted twice). ``chargeback.projects`` reads them.

Rebuilt with the developer's SessionDay rows in the recompute: the months of the recomputed days,
and every month of a session that had or has a row on those days (its simplicity may change),
are counted again from SessionDay.

SessionTotal: a row a session (of one developer) with its first and last day, how many projects,
its requests and cost over all its SessionDay rows, for the Sessions list's ranking
(selectors.sessions). Rebuilt in the same step for every session that had or has a row on the
recomputed days.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Case, Count, Max, Min, Q, Sum, Value, When

from costdash.lib.dates import month_after

from .models import SessionDay, SessionMonth, SessionSpan, SessionTotal


def month_of(day: date) -> date:
    return day.replace(day=1)


def months_filter(months: set[date], field: str = "day") -> Q:
    q = Q(pk__in=[])
    for month in months:
        q |= Q(**{f"{field}__gte": month, f"{field}__lt": month_after(month)})
    return q


def session_months_rebuild(developer_id: int, days: set[date], before: set[str]) -> None:
    """Count again the developer's sessions of the months ``days`` fall in and of every session
    that had a row on ``days`` (``before``: their ids, read before the rows were replaced) or has
    one now. Call it in the recompute's transaction, after SessionDay is replaced."""
    rows = SessionDay.objects.filter(developer_id=developer_id)
    touched = before | set(rows.filter(day__in=days).values_list("session_id", flat=True))
    months = {month_of(day) for day in days}
    if touched:
        months |= {month_of(day) for day in rows.filter(session_id__in=touched).values_list("day", flat=True)}
    sessions = set(rows.filter(months_filter(months)).values_list("session_id", flat=True))
    parts: dict[str, set[tuple[date, str]]] = defaultdict(set)
    for session_id, day, project in rows.filter(session_id__in=sessions).values_list("session_id", "day", "project"):
        parts[session_id].add((month_of(day), project))
    simple: Counter[tuple[date, str]] = Counter()
    spans = []
    for session_id, found in parts.items():
        if len(found) == 1:
            simple[next(iter(found))] += 1
        else:
            spans += [SessionSpan(developer_id=developer_id, session_id=session_id, month=month, project=project)
                      for month, project in found]
    SessionMonth.objects.filter(developer_id=developer_id, month__in=months).delete()
    SessionSpan.objects.filter(developer_id=developer_id, session_id__in=sessions | touched).delete()
    SessionMonth.objects.bulk_create(
        [SessionMonth(developer_id=developer_id, month=month, project=project, sessions=n)
         for (month, project), n in simple.items()], batch_size=1000)
    SessionSpan.objects.bulk_create(spans, batch_size=1000)
    session_totals_rebuild(developer_id, touched)


def session_totals_rebuild(developer_id: int, session_ids: set[str]) -> None:
    """The developer's SessionTotal rows of ``session_ids`` summed again from their SessionDay rows
    (none for a session without rows any more)."""
    if not session_ids:
        return
    SessionTotal.objects.filter(developer_id=developer_id, session_id__in=session_ids).delete()
    grouped = (
        SessionDay.objects.filter(developer_id=developer_id, session_id__in=session_ids)
        .values("session_id")
        .annotate(first_day=Min("day"), last_day=Max("day"), projects=Count("project", distinct=True),
                  repository=Max("project"), total_requests=Sum("requests"), total_cost=Sum("cost"),
                  bound=Sum(Case(When(cost__gt=0, then="cost"), default=Value(Decimal(0)))))
        .order_by()
    )
    SessionTotal.objects.bulk_create([
        SessionTotal(developer_id=developer_id, session_id=g["session_id"], first_day=g["first_day"],
                     last_day=g["last_day"], projects=g["projects"], project=g["repository"],
                     requests=g["total_requests"], cost=g["total_cost"], cost_bound=g["bound"])
        for g in grouped
    ], batch_size=1000)
