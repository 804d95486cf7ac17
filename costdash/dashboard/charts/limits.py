"""A spend limit's month: running spend, its projection to month end, the limit and warning lines."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from costdash.lib.money import ZERO

from .common import CEILING_COLOR, dollars_label, reference_line

SPEND_COLOR = "#2563eb"
WARNING_COLOR = "#b45309"
HEADROOM = 1.1  # the y axis reaches 10% past the highest of spend, projection and limit


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _money(amount: Decimal) -> float:
    return round(float(amount), 2)


def limit_figure(status) -> dict:
    """The month of a limits.selectors.LimitStatus as a Plotly figure.

    data, in order: "Spend so far" (running total per day, month start through as_of, days with no
    spend included so the line is flat there); "Projection" (dotted, from as_of's running total
    adding the burn rate each day to month end; only for the current month with days left);
    "Limit reached" (one marker at the limit on the hit day; only when there is one).
    layout.shapes / annotations: the limit ("Limit $X", solid) then the warning line ("Warning at
    N% ($Y)", dashed). The x axis spans the whole month; the y axis starts at $0.
    """
    limit = status.limit
    running, total = [], ZERO
    for day in _days(status.month_start, status.as_of):
        total += status.daily.get(day, ZERO)
        running.append(_money(total))
    traces = [{
        "type": "scatter", "mode": "lines+markers", "name": "Spend so far",
        "x": [d.isoformat() for d in _days(status.month_start, status.as_of)], "y": running,
        "line": {"color": SPEND_COLOR, "width": 3},
        "hovertemplate": "%{x|%b %-d}: $%{y:,.2f} spent so far<extra></extra>",
    }]
    top = max(status.spend, limit.amount)
    if status.projected is not None and status.as_of < status.month_end:
        days = _days(status.as_of, status.month_end)
        traces.append({
            "type": "scatter", "mode": "lines", "name": "Projection",
            "x": [d.isoformat() for d in days],
            "y": [_money(status.spend + status.burn_rate * n) for n in range(len(days))],
            "line": {"color": SPEND_COLOR, "width": 2, "dash": "dot"},
            "hovertemplate": "%{x|%b %-d}: $%{y:,.2f} projected<extra></extra>",
        })
        top = max(top, status.projected)
    if status.hit_day is not None:
        projected_hit = status.hit_day > status.as_of
        traces.append({
            "type": "scatter", "mode": "markers", "name": "Limit reached" + (" (projected)" if projected_hit else ""),
            "x": [status.hit_day.isoformat()], "y": [_money(limit.amount)],
            "marker": {"color": CEILING_COLOR, "size": 12, "symbol": "x"},
            "hovertemplate": "%{fullData.name}: %{x|%b %-d}<extra></extra>",
        })
    lines = [
        reference_line(limit.amount, f"Limit {dollars_label(limit.amount)}", CEILING_COLOR, "solid"),
        reference_line(
            limit.warning_amount, f"Warning at {limit.warning_percent} ({dollars_label(limit.warning_amount)})",
            WARNING_COLOR, "dash", side="left",
        ),
    ]
    return {
        "data": traces,
        "layout": {
            "margin": {"l": 64, "r": 16, "t": 24, "b": 40},
            "hovermode": "closest",
            "xaxis": {
                "type": "date", "tickformat": "%b %-d", "hoverformat": "%Y-%m-%d",
                "range": [status.month_start.isoformat(), status.month_end.isoformat()],
            },
            "yaxis": {"title": {"text": "USD this month"}, "tickprefix": "$", "range": [0, _money(top) * HEADROOM]},
            "showlegend": True,
            "legend": {"orientation": "h", "y": -0.15},
            "shapes": [shape for shape, _ in lines],
            "annotations": [annotation for _, annotation in lines],
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
        },
    }
