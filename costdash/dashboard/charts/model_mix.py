"""The models page's charts: the model mix over time (stacked bars) and the what-if per developer."""
from collections.abc import Iterable
from datetime import date, timedelta

from .common import base_layout, model_color

# Ranges longer than this are drawn per week (Monday-start) so a year stays readable.
DAILY_MAX_DAYS = 92
WHAT_IF_MAX_DEVELOPERS = 20
SPEND, TOKENS = "spend", "tokens"


def bucket_of(day: date, weekly: bool) -> date:
    """The day itself, or the Monday starting its week."""
    return day - timedelta(days=day.weekday()) if weekly else day


def model_mix_figure(days: Iterable[dict], models: list[str], measure: str, since: date, until: date) -> dict:
    """Stacked bars per day (per week past DAILY_MAX_DAYS), one trace per model in ``models`` order.

    days: model_mix "days" rows (day, model, spend Decimal, tokens int). measure: "spend" (y in USD,
    recorded spend) or "tokens" (y in tokens, every class). layout.meta.bucket is "day" or "week".
    """
    weekly = (until - since).days + 1 > DAILY_MAX_DAYS
    buckets: list[date] = []
    bucket = bucket_of(since, weekly)
    while bucket <= until:
        buckets.append(bucket)
        bucket += timedelta(days=7 if weekly else 1)
    values = {model: dict.fromkeys(buckets, 0) for model in models}
    for row in days:
        if row["model"] in values:
            values[row["model"]][bucket_of(row["day"], weekly)] += row[measure]
    unit = "week" if weekly else "day"
    when = "week of %{x|%Y-%m-%d}" if weekly else "%{x|%Y-%m-%d}"
    amount = "$%{y:,.2f}" if measure == SPEND else "%{y:,} tokens"
    traces = [
        {
            "type": "bar",
            "name": model,
            "x": [b.isoformat() for b in buckets],
            "y": [round(float(v), 2) if measure == SPEND else int(v) for v in values[model].values()],
            "marker": {"color": model_color(model)},
            "hovertemplate": f"%{{fullData.name}} · {when} · {amount}<extra></extra>",
        }
        for model in models
    ]
    yaxis = {"title": {"text": f"USD per {unit}"}, "tickprefix": "$"} if measure == SPEND else {
        "title": {"text": f"Tokens per {unit}"}}
    return {
        "data": traces,
        "layout": base_layout(
            barmode="stack",
            margin={"l": 64, "r": 16, "t": 24, "b": 40},
            showlegend=True,
            xaxis={"type": "date", "tickformat": "%b %-d", "hoverformat": "%Y-%m-%d"},
            yaxis={**yaxis, "rangemode": "tozero"},
            legend={"orientation": "h", "y": -0.15},
            meta={"bucket": unit, "measure": measure},
        ),
    }


def what_if_figure(comparison: dict) -> dict:
    """Grouped bars per developer (the WHAT_IF_MAX_DEVELOPERS with the most ``from`` spend): the
    from model's tokens at its own standard rates, and at the to model's. y in USD.

    comparison: what_if's result; developers with nothing both models price are left out.
    """
    shown = [dev for dev in comparison["developers"] if dev["difference"] is not None][:WHAT_IF_MAX_DEVELOPERS]
    names = [dev["developer"] for dev in shown]
    pairs = ((comparison["from_model"], "actual", model_color(comparison["from_model"])),
             (comparison["to_model"], "what_if", model_color(comparison["to_model"])))
    traces = [
        {
            "type": "bar",
            "name": f"on {model}",
            "x": names,
            "y": [round(float(dev[key]), 2) for dev in shown],
            "marker": {"color": color},
            "hovertemplate": "%{x} · %{fullData.name}: $%{y:,.2f} (estimate)<extra></extra>",
        }
        for model, key, color in pairs
    ]
    return {
        "data": traces,
        "layout": base_layout(
            barmode="group",
            showlegend=True,
            margin={"l": 64, "r": 16, "t": 24, "b": 80},
            xaxis={"type": "category", "automargin": True},
            yaxis={"title": {"text": "USD, standard rates"}, "tickprefix": "$", "rangemode": "tozero"},
            legend={"orientation": "h", "y": 1.1},
            meta={"shown": len(shown), "of": len(comparison["developers"])},
        ),
    }

