"""A developer's page: their daily cost against the thresholds. (The page's other charts are shared:
charts.cache.hit_rate_per_day_figure and charts.overview.daily_spend_by_model_figure.)"""
from collections.abc import Iterable
from decimal import Decimal

from costdash.rollups.thresholds import OVER_AVERAGE, OVER_CEILING, UNDER_AVERAGE, classify_day

from .common import base_layout, threshold_lines

DAY_COLORS = {UNDER_AVERAGE: "#2563eb", OVER_AVERAGE: "#d97706", OVER_CEILING: "#dc2626"}


def daily_cost_figure(
    days: Iterable[dict], average: Decimal, ceiling: Decimal, p90: Decimal | None, *, p90_label: str
) -> dict:
    """One bar per day with usage (x = ISO day, y = USD), coloured by thresholds.classify_day
    (DAY_COLORS), with the horizontal lines of common.threshold_lines (average, ceiling, P90).

    days: spend.developer_days rows of one developer (day, cost). Hover: day and dollars.
    """
    days = sorted(days, key=lambda row: row["day"])
    trace = {
        "type": "bar",
        "name": "Cost",
        "x": [row["day"].isoformat() for row in days],
        "y": [round(float(row["cost"]), 2) for row in days],
        "marker": {"color": [DAY_COLORS[classify_day(row["cost"], average, ceiling)] for row in days]},
        "hovertemplate": "%{x|%Y-%m-%d} · $%{y:,.2f}<extra></extra>",
    }
    lines = threshold_lines(average, ceiling, p90, p90_label)
    return {
        "data": [trace],
        "layout": base_layout(
            showlegend=False,
            xaxis={"type": "date", "tickformat": "%b %-d", "hoverformat": "%Y-%m-%d"},
            yaxis={"title": {"text": "USD per day"}, "tickprefix": "$", "rangemode": "tozero"},
            shapes=[shape for shape, _ in lines],
            annotations=[annotation for _, annotation in lines],
        ),
    }
