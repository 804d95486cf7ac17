"""The cache page's charts: hit rate per day (line) and per developer (bars). Percentages as floats."""
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from costdash.lib.money import usd

from .common import P90_COLOR, base_layout, vertical_line

HIT_RATE_COLOR = "#0f766e"
# Past this many developers the bar chart shows the lowest hit rates only; the table lists everyone.
BARS_MAX = 40
BAR_HEIGHT = 22  # px per developer bar


def percent(fraction: Decimal | None) -> float | None:
    """A [0, 1] Decimal fraction as a float percentage rounded to 0.01 (None stays None: a gap)."""
    return None if fraction is None else round(float(fraction * 100), 2)


def hit_rate_per_day_figure(days: Iterable[dict], since: date, until: date) -> dict:
    """One line: the hit rate (%) of every day from since to until; days without input are gaps.

    days: cache_overview "days" rows (day, hit_rate, cache_read, all_input). Hover: the day, the
    rate and the token counts behind it.
    """
    by_day = {row["day"]: row for row in days}
    xs, ys, custom = [], [], []
    day = since
    while day <= until:
        row = by_day.get(day)
        xs.append(day.isoformat())
        ys.append(percent(row["hit_rate"]) if row else None)
        custom.append([row["cache_read"], row["all_input"]] if row else [0, 0])
        day += timedelta(days=1)
    trace = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": "Cache hit rate",
        "x": xs,
        "y": ys,
        "customdata": custom,
        "connectgaps": False,
        "line": {"color": HIT_RATE_COLOR},
        "hovertemplate": "%{x|%Y-%m-%d} · %{y:.1f}% cache hit rate<br>"
                         "%{customdata[0]:,} cache-read of %{customdata[1]:,} input tokens<extra></extra>",
    }
    return {
        "data": [trace],
        "layout": base_layout(
            showlegend=False,
            margin={"l": 56, "r": 16, "t": 24, "b": 40},
            xaxis={"type": "date", "tickformat": "%b %-d", "hoverformat": "%Y-%m-%d"},
            yaxis={"title": {"text": "Cache hit rate (%)"}, "ticksuffix": "%", "range": [0, 100]},
        ),
    }


def hit_rate_per_developer_figure(developers: list[dict], target: Decimal | None) -> dict:
    """Horizontal bars: each developer's hit rate (%), lowest at the top, with the target as a
    dotted vertical line. Past BARS_MAX developers only the BARS_MAX lowest are drawn
    (layout.meta.shown / .of say so). Developers without input have no rate and no bar.

    developers: cache_overview "developers" rows, already lowest rate first.
    """
    rated = [dev for dev in developers if dev["hit_rate"] is not None]
    shown = rated[:BARS_MAX]
    trace = {
        "type": "bar",
        "orientation": "h",
        "name": "Cache hit rate",
        "y": [dev["developer"] for dev in shown],
        "x": [percent(dev["hit_rate"]) for dev in shown],
        "customdata": [[usd(dev["saved"]), dev["tokens"].all_input] for dev in shown],
        "marker": {"color": HIT_RATE_COLOR},
        "hovertemplate": "%{y}: %{x:.1f}% cache hit rate<br>saved %{customdata[0]} (estimate)"
                         " on %{customdata[1]:,} input tokens<extra></extra>",
    }
    lines = []
    if target is not None:
        x = (target * 100).quantize(Decimal("0.01"))
        lines.append(vertical_line(x, f"Target {x:.1f}%", P90_COLOR, "dot"))
    return {
        "data": [trace],
        "layout": base_layout(
            showlegend=False,
            height=max(240, BAR_HEIGHT * len(shown) + 90),
            margin={"l": 140, "r": 16, "t": 28, "b": 40},
            xaxis={"title": {"text": "Cache hit rate (%)"}, "ticksuffix": "%", "range": [0, 100]},
            # Categories are drawn bottom-up: reverse so the first (lowest rate) is on top.
            yaxis={"autorange": "reversed", "automargin": True},
            shapes=[shape for shape, _ in lines],
            annotations=[annotation for _, annotation in lines],
            meta={"shown": len(shown), "of": len(rated)},
        ),
    }
