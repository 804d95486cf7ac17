"""Every developer's day shape (rollups.day_shape) as of a day: two grouped reads of HourlyCost."""
from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, Sum

from costdash.rollups.day_shape import HISTORY_DAYS, DayShapes, day_shapes_build
from costdash.rollups.models import HourlyCost


def day_shapes(day: date) -> DayShapes:
    """The shapes for projecting ``day``: from the HISTORY_DAYS days before it, every developer's
    spend per hour (with their current team) and their days with hourly spend."""
    rows = HourlyCost.objects.filter(day__gte=day - timedelta(days=HISTORY_DAYS), day__lt=day, cost__gt=0)
    hour_costs = rows.values_list("developer_id", "developer__team_id", "hour").annotate(cost=Sum("cost")).order_by()
    teams: dict[int, int | None] = {}
    sums = []
    for developer_id, team_id, hour, cost in hour_costs:
        teams[developer_id] = team_id
        sums.append((developer_id, hour, cost))
    days = dict(rows.values_list("developer_id").annotate(days=Count("day", distinct=True)).order_by())
    return day_shapes_build(sums, days, teams)
