"""Failed calls (rollups.DailyError) as pages show them: errors per source, never spend or requests.

Each reader is one grouped query over the scope's DailyError rows, whatever the team's size.
"""
from __future__ import annotations

from django.db.models import Sum

from ..models import DailyError
from ..scope import Scope


def errors_by_source(scope: Scope) -> dict[str, int]:
    """{source: failed calls} in the scope (its developers, days and model filter)."""
    rows = DailyError.objects.filter(developer__in=scope.developers, day__gte=scope.since, day__lte=scope.until)
    if scope.model:
        rows = rows.filter(model=scope.model)
    return dict(rows.values("source").annotate(n=Sum("errors")).order_by().values_list("source", "n"))


def sources_with_errors(sources: list[dict], errors: dict[str, int]) -> list[dict]:
    """The Sources table's rows (spend.sources_of / overview.source_totals) each with its
    ``errors``; a source that logged only failed calls gets a row of its own (no spend, no
    requests, no developer-days: a day of failures alone is not an active day)."""
    from costdash.ingest.models import Source

    labels = dict(Source.choices)
    rows = [dict(row, errors=errors.get(row["source"], 0)) for row in sources]
    seen = {row["source"] for row in rows}
    for source, n in sorted(errors.items()):
        if source not in seen and n:
            rows.append({"source": source, "label": labels.get(source, source), "spend": 0, "requests": 0,
                         "developer_days": 0, "errors": n})
    return rows


def developer_errors(developer_id: int, since, until) -> dict:
    """One developer's failed calls in [since, until]: {"total", "by_source": [{"source", "label",
    "errors"}], "by_day": [{"day", "errors"}]} (most first, then by name; days in order)."""
    from costdash.ingest.models import Source

    labels = dict(Source.choices)
    rows = list(
        DailyError.objects.filter(developer_id=developer_id, day__gte=since, day__lte=until)
        .values_list("day", "source", "errors")
    )
    by_source: dict[str, int] = {}
    by_day: dict = {}
    for day, source, n in rows:
        by_source[source] = by_source.get(source, 0) + n
        by_day[day] = by_day.get(day, 0) + n
    return {
        "total": sum(by_source.values()),
        "by_source": [{"source": s, "label": labels.get(s, s), "errors": n}
                      for s, n in sorted(by_source.items(), key=lambda kv: (-kv[1], labels.get(kv[0], kv[0])))],
        "by_day": [{"day": d, "errors": n} for d, n in sorted(by_day.items())],
    }
