"""The Overview's charts: daily spend stacked by model, the distribution of developer-day cost
with the reference lines, and the top spenders. Money becomes float here and only here."""
from collections.abc import Iterable
from decimal import Decimal

from costdash.lib.money import ZERO, usd

from .common import AVERAGE_COLOR, CEILING_COLOR, P90_COLOR, base_layout, dollars_label, model_color, vertical_line

BAR_COLOR = "#2563eb"
BAR_HEIGHT = 26  # px per top-spender bar


def _money(amount: Decimal) -> float:
    return round(float(amount), 2)


def daily_spend_by_model_figure(rows: Iterable[dict]) -> dict:
    """Daily spend stacked by model.

    rows: [{"day", "model", "cost"}] (selectors.overview.priced_spend_by_day_and_model). One bar
    trace per model, the most total spend first (so at the bottom of each stack), then by name;
    x = ISO days, y = USD. Hover: model, day and dollars.
    """
    by_model: dict[str, list[tuple]] = {}
    totals: dict[str, Decimal] = {}
    for row in sorted(rows, key=lambda r: r["day"]):
        by_model.setdefault(row["model"], []).append((row["day"].isoformat(), _money(row["cost"])))
        totals[row["model"]] = totals.get(row["model"], ZERO) + row["cost"]
    traces = [
        {
            "type": "bar",
            "name": model,
            "x": [x for x, _ in by_model[model]],
            "y": [y for _, y in by_model[model]],
            "marker": {"color": model_color(model)},
            "hovertemplate": "%{fullData.name} · %{x|%Y-%m-%d} · $%{y:,.2f}<extra></extra>",
        }
        for model in sorted(totals, key=lambda m: (-totals[m], m))
    ]
    return {
        "data": traces,
        "layout": base_layout(
            barmode="stack",
            xaxis={"type": "date", "tickformat": "%b %-d", "hoverformat": "%Y-%m-%d"},
            yaxis={"title": {"text": "USD per day"}, "tickprefix": "$", "rangemode": "tozero"},
            legend={"orientation": "h", "y": -0.15},
        ),
    }


def cost_distribution_figure(
    distribution: dict, average: Decimal, ceiling: Decimal, p90: Decimal | None, *, p90_label: str = "Team P90"
) -> dict:
    """Histogram of developer-day cost, binned by the server, with vertical reference lines.

    distribution: selectors.overview.cost_distribution ({"width", "bins": [{"low", "high",
    "count"}]}). One bar trace: x = each bin's middle (USD), width = the bin width, y = the number
    of developer-days, customdata = [low, high]. Lines in layout.shapes / annotations, in order:
    the average ("Anthropic average $13"), the ceiling ("90% of users stay below $30") and, when
    p90 is not None, "<p90_label> $x.xx". The x axis spans the bins and every line.
    """
    bins = distribution["bins"]
    trace = {
        "type": "bar",
        "name": "Developer-days",
        "x": [_money((b["low"] + b["high"]) / 2) for b in bins],
        "y": [b["count"] for b in bins],
        "width": float(distribution["width"] or 1),
        "customdata": [[_money(b["low"]), _money(b["high"])] for b in bins],
        "marker": {"color": BAR_COLOR},
        "hovertemplate": "$%{customdata[0]:,.2f} to $%{customdata[1]:,.2f} a day · "
                         "%{y} developer-day(s)<extra></extra>",
    }
    lines = [
        vertical_line(average, f"Anthropic average {dollars_label(average)}", AVERAGE_COLOR, "dash", 1.0),
        vertical_line(ceiling, f"90% of users stay below {dollars_label(ceiling)}", CEILING_COLOR, "dash", 0.92),
    ]
    if p90 is not None:
        lines.append(vertical_line(p90, f"{p90_label} {usd(p90)}", P90_COLOR, "dot", 0.84))
    marks = [average, ceiling] + ([p90] if p90 is not None else [])
    low = min([ZERO] + [b["low"] for b in bins])
    high = max([b["high"] for b in bins] + [mark * Decimal("1.1") for mark in marks])
    for _, annotation in lines:  # a label near the right edge goes left of its line, inside the plot
        if annotation["x"] > float(low + (high - low) * Decimal("0.6")):
            annotation["xanchor"] = "right"
    return {
        "data": [trace],
        "layout": base_layout(
            bargap=0.05,
            showlegend=False,
            xaxis={"title": {"text": "USD per developer-day"}, "tickprefix": "$", "range": [float(low), float(high)]},
            # Counts: whole-number ticks while they are few (Plotly would mark 0.5, 1.5, ...)
            yaxis={"title": {"text": "Developer-days"}, "rangemode": "tozero"}
            | ({"dtick": 1} if max((b["count"] for b in bins), default=0) <= 10 else {}),
            shapes=[shape for shape, _ in lines],
            annotations=[annotation for _, annotation in lines],
        ),
    }


def top_spenders_figure(rows: list[dict]) -> dict:
    """Horizontal bars of spend, one per developer in the order given (the first on top).

    rows: selectors.overview top_spenders (developer, spend). Hover: name and dollars.
    """
    trace = {
        "type": "bar",
        "orientation": "h",
        "name": "Spend",
        "y": [row["developer"] for row in rows],
        "x": [_money(row["spend"]) for row in rows],
        "marker": {"color": BAR_COLOR},
        "hovertemplate": "%{y} · $%{x:,.2f}<extra></extra>",
    }
    return {
        "data": [trace],
        "layout": base_layout(
            height=max(200, BAR_HEIGHT * len(rows) + 80),
            showlegend=False,
            margin={"l": 140, "r": 16, "t": 16, "b": 40},
            xaxis={"title": {"text": "USD"}, "tickprefix": "$", "rangemode": "tozero"},
            # Categories are drawn bottom-up: reverse so the first (top spender) is on top.
            yaxis={"autorange": "reversed", "automargin": True},
        ),
    }
