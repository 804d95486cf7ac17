"""The Rate limits page's charts (Plotly figure dicts, drawn by static/js/charts.js): one figure per
per-minute measure, by day, for one scope (the org or a team)."""
from __future__ import annotations

from decimal import Decimal

from costdash.dashboard.charts.common import CEILING_COLOR, base_layout, reference_line

from .percentiles import LABELS

LINES = (("peak", "Peak minute", "#dc2626", "solid"), ("p99", "p99", "#9333ea", "dash"),
         ("p95", "p95", "#2563eb", "dash"), ("p50", "p50 (median)", "#16a34a", "dot"))
RECOMMENDATION_COLOR = "#b45309"
RATE_LIMITED_COLOR = "#6b7280"


def _value(stats, name: str) -> float:
    return float(getattr(stats, name))


def per_minute_figure(scope, metric: str, references: list[tuple[Decimal, str]]) -> dict:
    """Peak, p99, p95 and p50 of ``metric`` per day for ``scope`` (selectors.ScopePlan); each
    reference (value, label) a horizontal line (the limit entered, a recommendation); the day's
    429s as grey bars on a second axis when any were seen.

    data: one line per LINES entry ("Peak minute", "p99", "p95", "p50 (median)"), x the days with
    an active minute; then "429s seen" when there are any.
    """
    days = [(day, d) for day, d in scope.days if metric in d.metrics]
    x = [day.isoformat() for day, _ in days]
    traces = [
        {
            "type": "scatter", "mode": "lines+markers", "name": label, "x": x,
            "y": [_value(d.metrics[metric], name) for _, d in days],
            "line": {"color": color, "width": 2 if name != "peak" else 3, "dash": dash},
            "hovertemplate": f"%{{x|%b %-d}}: {label} %{{y:,.1f}}<extra></extra>",
        }
        for name, label, color, dash in LINES
    ]
    layout = base_layout(
        xaxis={"type": "date", "tickformat": "%b %-d", "hoverformat": "%Y-%m-%d"},
        yaxis={"title": {"text": LABELS[metric]}, "rangemode": "tozero"},
        showlegend=True, legend={"orientation": "h", "y": -0.2},
    )
    limited = [(day, d.rate_limited) for day, d in scope.days if d.rate_limited]
    if limited:
        traces.append({
            "type": "bar", "name": "429s seen", "x": [day.isoformat() for day, _ in limited],
            "y": [n for _, n in limited], "yaxis": "y2", "marker": {"color": RATE_LIMITED_COLOR}, "opacity": 0.5,
            "hovertemplate": "%{x|%b %-d}: %{y} 429s<extra></extra>",
        })
        layout["yaxis2"] = {"title": {"text": "429s"}, "overlaying": "y", "side": "right", "rangemode": "tozero",
                            "showgrid": False}
    lines = [
        reference_line(value, label, CEILING_COLOR if i == 0 else RECOMMENDATION_COLOR, "solid" if i == 0 else "dot",
                       side="left" if i else "right")
        for i, (value, label) in enumerate(references)
    ]
    layout["shapes"] = [shape for shape, _ in lines]
    layout["annotations"] = [annotation for _, annotation in lines]
    return {"data": traces, "layout": layout}
