"""When the scope spends: cost and requests per org-local weekday and hour, from HourlyCost.

Days are the org's days and hours its wall-clock hours (rollups.hourly). HourlyCost is not per
model: the model filter does not apply. Daily reports carry no hour; what they count is reported
as ``without_hour`` so the heatmap's total never silently disagrees with the other figures.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import ExtractIsoWeekDay

from costdash.lib.money import ZERO
from costdash.rollups.models import HourlyCost, HourlyMonth
from costdash.rollups.scope import Scope

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def spend_by_hour(scope: Scope, spend_every_model: Decimal | None = None) -> dict:
    """The scope's spend per weekday (Monday first) and hour, in one query; two unless the caller
    passes ``spend_every_model``, the scope's spend over every model it already has (DeveloperDay).

    Keys: cost (7 lists of 24 Decimal: [weekday][hour]), requests (7 x 24 int, unpriced included),
    spend and requests_total (sums of the cells), without_hour (the scope's spend, every model,
    that has no hour: days counted from daily reports; 0 when every day has hours),
    model_ignored (a model filter is set and does not apply here).
    """
    cost = [[ZERO] * 24 for _ in WEEKDAYS]
    requests = [[0] * 24 for _ in WEEKDAYS]
    for weekday, hour, cell_cost, cell_requests in _cells(scope):
        cost[weekday - 1][hour] += cell_cost or ZERO
        requests[weekday - 1][hour] += cell_requests or 0
    spend = sum((c for row in cost for c in row), ZERO)
    day_total = spend_every_model
    if day_total is None:
        day_total = scope.developer_days().aggregate(total=Sum("cost"))["total"] or ZERO
    return {
        "cost": cost,
        "requests": requests,
        "spend": spend,
        "requests_total": sum(n for row in requests for n in row),
        "without_hour": day_total - spend,
        "model_ignored": bool(scope.model),
    }


def _cells(scope: Scope):
    """(weekday, hour, cost, requests) groups of the scope: its whole months from HourlyMonth, the
    days around them from HourlyCost, in one query (a cell may come from both: the caller adds)."""
    from costdash.chargeback.projects import whole_months  # chargeback builds on rollups

    hours = HourlyCost.objects.filter(developer__in=scope.developers)
    months = whole_months(scope.since, scope.until)
    if months is None:
        hours = hours.filter(day__gte=scope.since, day__lte=scope.until)
    else:
        first, last = months
        following = (last + timedelta(days=32)).replace(day=1)
        hours = hours.filter(Q(day__gte=scope.since, day__lt=first) | Q(day__gte=following, day__lte=scope.until))
    by_day = (
        hours.annotate(weekday=ExtractIsoWeekDay("day")).values_list("weekday", "hour")
        .annotate(cost=Sum("cost"), requests=Sum("requests")).order_by()
    )
    if months is None:
        return by_day
    by_month = (
        HourlyMonth.objects.filter(developer__in=scope.developers, month__gte=months[0], month__lte=months[1])
        .values_list("weekday", "hour").annotate(cost=Sum("cost"), requests=Sum("requests")).order_by()
    )
    return by_day.union(by_month, all=True)
