"""Selector rows -> Plotly figure dicts (plain, JSON-able). The one place money becomes float.

Templates embed a figure with `json_script`; static/js/charts.js draws it.
An empty figure is never drawn: the template shows its empty state instead.
"""
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from costdash.lib.money import usd

AVERAGE_COLOR = "#6b7280"
CEILING_COLOR = "#dc2626"
P90_COLOR = "#7c3aed"
# Past this many developers a legend buries the plot: hover names the line, the table lists everyone.
LEGEND_MAX_DEVELOPERS = 12


def _dollars(amount: Decimal) -> str:
    """"$13" for whole dollars, "$13.50" otherwise: short labels for reference lines."""
    text = usd(amount)
    return text[:-3] if text.endswith(".00") else text


def _reference_line(y: Decimal, label: str, color: str, dash: str, side: str = "right") -> tuple[dict, dict]:
    """A full-width horizontal line at y and its label just above it, at the left or right end."""
    value = float(y)
    shape = {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": value,
        "y1": value,
        "line": {"color": color, "width": 2, "dash": dash},
        "layer": "above",  # stays visible over a crowd of developer lines
    }
    annotation = {
        "xref": "paper",
        "x": 1 if side == "right" else 0,
        "xanchor": side,
        "yref": "y",
        "y": value,
        "yanchor": "bottom",
        "text": label,
        "showarrow": False,
        "font": {"color": color, "size": 11},
        "bgcolor": "rgba(255,255,255,0.8)",
    }
    return shape, annotation


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

    rows: developer_day_costs rows (developer_id, developer, day, cost), in any order.
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
    lines = [
        _reference_line(average, f"Anthropic average {_dollars(average)}/active day", AVERAGE_COLOR, "dash"),
        _reference_line(ceiling, f"90% of users stay below {_dollars(ceiling)}", CEILING_COLOR, "dash"),
    ]
    if p90 is not None:
        # Left-hand label: the P90 often sits near the ceiling, whose label is on the right.
        lines.append(_reference_line(p90, f"{p90_label} {usd(p90)}", P90_COLOR, "dot", side="left"))
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
