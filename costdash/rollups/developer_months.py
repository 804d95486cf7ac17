"""DeveloperMonth: a developer's month of DeveloperDay rows in total, rebuilt for the months of given days."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncMonth

from costdash.lib.dates import month_after

from .models import DeveloperDay, DeveloperMonth


def developer_months_rebuild(developer_id: int, days: Iterable[date]) -> None:
    """Rebuild the developer's DeveloperMonth rows of the months holding ``days`` from their DeveloperDay rows
    (inside the recompute's transaction, after those were rebuilt)."""
    months = sorted({day.replace(day=1) for day in days})
    if not months:
        return
    DeveloperMonth.objects.filter(developer_id=developer_id, month__in=months).delete()
    within = Q()
    for month in months:
        within |= Q(day__gte=month, day__lt=month_after(month))
    grouped = (
        DeveloperDay.objects.filter(within, developer_id=developer_id).annotate(month=TruncMonth("day"))
        .values("month").annotate(spend=Sum("cost"), active_days=Count("pk", filter=Q(active=True)),
                                  worst_cost=Max("cost"))
        .order_by()
    )
    DeveloperMonth.objects.bulk_create([
        DeveloperMonth(developer_id=developer_id, month=g["month"], spend=g["spend"], active_days=g["active_days"],
                       worst_cost=g["worst_cost"])
        for g in grouped
    ])
