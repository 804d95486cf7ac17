"""When the scope spends: cost and requests per org-local weekday and hour, from HourlyCost.

Days are the org's days and hours its wall-clock hours (rollups.hourly). HourlyCost is not per
model: the model filter does not apply. Daily reports carry no hour; what they count is reported
as ``without_hour`` so the heatmap's total never silently disagrees with the other figures.
"""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import ExtractIsoWeekDay

from costdash.lib.money import ZERO
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
    grouped = (
        scope.hourly_costs()
        .annotate(weekday=ExtractIsoWeekDay("day"))
        .values_list("weekday", "hour")
        .annotate(cost=Sum("cost"), requests=Sum("requests"))
        .order_by()
    )
    for weekday, hour, cell_cost, cell_requests in grouped:
        cost[weekday - 1][hour] = cell_cost or ZERO
        requests[weekday - 1][hour] = cell_requests or 0
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
