"""OrgProjectDay and OrgProjectMonth: DailyDimensionCost summed over every developer per (day, project,
model) and per (month, project, model), and OrgProjectSessionDay (SessionDay rows counted per day and
project), rebuilt for given days with the org's other day rollups
(rollups.org_days.org_days_refresh calls ``org_projects_refresh`` in its transaction, under its lock), so
the whole org's Projects page reads a few thousand rows for a year instead of every developer's."""
from __future__ import annotations

from datetime import date

from django.db.models import Count, Sum

from costdash.lib.dates import month_end
from costdash.rollups.models import SessionDay

from .models import DailyDimensionCost, OrgProjectDay, OrgProjectMonth, OrgProjectSessionDay
from .rollup import FIGURES


def org_projects_refresh(days: list[date]) -> None:
    """Rebuild the OrgProjectDay rows of ``days`` from DailyDimensionCost, their OrgProjectSessionDay rows
    from SessionDay, then the OrgProjectMonth rows of their months from OrgProjectDay. Call it inside the
    caller's transaction."""
    OrgProjectDay.objects.filter(day__in=days).delete()
    grouped = (
        DailyDimensionCost.objects.filter(day__in=days).values("day", "project", "model")
        .annotate(**{f"sum_{f}": Sum(f) for f in FIGURES}).order_by()
    )
    OrgProjectDay.objects.bulk_create(
        [OrgProjectDay(day=g["day"], project=g["project"], model=g["model"], **{f: g[f"sum_{f}"] or 0 for f in FIGURES})
         for g in grouped],
        batch_size=1000,
    )
    OrgProjectSessionDay.objects.filter(day__in=days).delete()
    sessions = SessionDay.objects.filter(day__in=days).values("day", "project").annotate(n=Count("pk")).order_by()
    OrgProjectSessionDay.objects.bulk_create(
        [OrgProjectSessionDay(day=g["day"], project=g["project"], sessions=g["n"]) for g in sessions], batch_size=1000)
    months = sorted({day.replace(day=1) for day in days})
    OrgProjectMonth.objects.filter(month__in=months).delete()
    rows = []
    for month in months:
        sums = (
            OrgProjectDay.objects.filter(day__gte=month, day__lte=month_end(month)).values("project", "model")
            .annotate(**{f"sum_{f}": Sum(f) for f in FIGURES}).order_by()
        )
        rows += [OrgProjectMonth(month=month, project=g["project"], model=g["model"],
                                 **{f: g[f"sum_{f}"] or 0 for f in FIGURES}) for g in sums]
    OrgProjectMonth.objects.bulk_create(rows, batch_size=1000)


def org_project_days() -> set[date]:
    """Every day with an OrgProjectDay row or a DailyDimensionCost row (what a full rebuild covers)."""
    days = set(OrgProjectDay.objects.values_list("day", flat=True).distinct().order_by())
    days.update(OrgProjectSessionDay.objects.values_list("day", flat=True).distinct().order_by())
    days.update(DailyDimensionCost.objects.values_list("day", flat=True).distinct().order_by())
    return days
