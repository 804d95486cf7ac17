"""The hour-of-day x weekday heatmap of spend (plotly's heatmap trace, in the cartesian bundle)."""
from .common import base_layout

HEAT_COLORS = [[0, "#f8fafc"], [0.25, "#bfdbfe"], [0.6, "#3b82f6"], [1, "#1e3a8a"]]
HOURS = [f"{hour:02d}:00" for hour in range(24)]
WEEKDAY_LABELS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def spend_heatmap_figure(data: dict, time_zone: str) -> dict:
    """selectors.hourly.spend_by_hour(...) as one heatmap trace.

    z: 7 rows (Monday first, drawn top down) of 24 hours, USD rounded to the cent; customdata the
    requests of each cell (shown on hover); x the hours "00:00" … "23:00" of ``time_zone``.
    """
    z = [[round(float(cost), 2) for cost in row] for row in data["cost"]]
    trace = {
        "type": "heatmap",
        "x": HOURS,
        "y": WEEKDAY_LABELS,
        "z": z,
        "customdata": data["requests"],
        "zmin": 0,
        "colorscale": HEAT_COLORS,
        "xgap": 1,
        "ygap": 1,
        # No colour bar: plotly.js gives its rects a style="" attribute, which the Content-Security-Policy
        # refuses (settings: no inline style attributes). Hover names each cell's figures instead.
        "showscale": False,
        "hovertemplate": "%{y} %{x} · $%{z:,.2f} · %{customdata:,} requests<extra></extra>",
    }
    return {
        "data": [trace],
        "layout": base_layout(
            height=300,
            xaxis={"type": "category", "title": {"text": f"Hour of day ({time_zone})"}, "tickangle": 0, "dtick": 3},
            yaxis={"type": "category", "autorange": "reversed"},
        ),
    }
