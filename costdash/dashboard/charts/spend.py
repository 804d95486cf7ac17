"""The per-developer daily spend chart with the reference lines."""
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from .common import LEGEND_MAX_DEVELOPERS, threshold_lines


def _developer_trace(name: str, points: list[tuple[date, Decimal]]) -> dict:
    """One developer's line. A gap in days breaks the line (a missing day is no usage, not a slope)."""
    xs: list[str] = []
    ys: list[float | None] = []
    previous: date | None = None
    for day, cost in points:
        if previous is not None and day - previous > timedelta(days=1):
            xs.append((previous + timedelta(days=1)).isoformat())
            ys.append(None)
        xs.append(day.isoformat())
        ys.append(round(float(cost), 2))
        previous = day
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "x": xs,
        "y": ys,
        "connectgaps": False,
        # fullData.name, not the name pasted in, so a "%{" in a name is never a template.
        "hovertemplate": "%{fullData.name} · %{x|%Y-%m-%d} · $%{y:,.2f}<extra></extra>",
    }


def spend_per_developer_figure(
    rows: Iterable[dict],
    average: Decimal,
    ceiling: Decimal,
    p90: Decimal | None,
    *,
    p90_label: str = "Team P90",
) -> dict:
    """Cost per developer per day, with the reference lines.

    rows: developer_days.daily_points rows (developer_id, developer, day, cost), in any order.
    One trace per developer (x = ISO day, y = USD), ordered by developer name; past
    LEGEND_MAX_DEVELOPERS the legend is hidden and the lines are translucent, without markers
    (hover still names the developer).
    Horizontal lines, in this order in layout.shapes / layout.annotations: the average
    ("Anthropic average $13/active day"), the ceiling ("90% of users stay below $30")
    and, when p90 is not None, "<p90_label> $x.xx".
    """
    by_developer: dict[int, tuple[str, list[tuple[date, Decimal]]]] = {}
    for row in rows:
        by_developer.setdefault(row["developer_id"], (row["developer"], []))[1].append((row["day"], row["cost"]))
    traces = [
        _developer_trace(name, sorted(points))
        for name, points in sorted(by_developer.values(), key=lambda item: item[0].lower())
    ]
    lines = threshold_lines(average, ceiling, p90, p90_label)
    show_legend = len(traces) <= LEGEND_MAX_DEVELOPERS
    if not show_legend:
        for trace in traces:
            trace.update(mode="lines", opacity=0.7)
    return {
        "data": traces,
        "layout": {
            "margin": {"l": 56, "r": 16, "t": 36, "b": 40},
            "hovermode": "closest",
            "xaxis": {"type": "date", "tickformat": "%b %-d", "hoverformat": "%Y-%m-%d"},
            "yaxis": {"title": {"text": "USD per day"}, "tickprefix": "$", "rangemode": "tozero"},
            "showlegend": show_legend,
            "legend": {"orientation": "h", "y": -0.15},
            "shapes": [shape for shape, _ in lines],
            "annotations": [annotation for _, annotation in lines],
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
        },
    }
