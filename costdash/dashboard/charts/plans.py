"""The Plans page's charts: the team's API spend against its cheapest mix, and one developer's monthly
API spend against each priced plan's fee (planning.selectors.Advice / DeveloperAdvice)."""
from __future__ import annotations

from decimal import Decimal

from .common import AVERAGE_COLOR, base_layout

API_COLOR = "#2563eb"
MIX_COLOR = "#16a34a"
PLAN_COLORS = {"pro": "#f97316", "max_5x": "#9333ea", "max_20x": "#dc2626", "team_premium": "#0891b2",
               "enterprise": "#4b5563"}


def _money(amount: Decimal | None) -> float | None:
    return None if amount is None else round(float(amount), 2)


def _months(months) -> list[str]:
    return [month.isoformat() for month in months]


def _layout(title: str, **extra) -> dict:
    return base_layout(
        barmode="group", showlegend=True, legend={"orientation": "h", "y": -0.2},
        xaxis={"type": "date", "tickformat": "%b %Y", "dtick": "M1", "hoverformat": "%B %Y"},
        yaxis={"title": {"text": title}, "tickprefix": "$", "rangemode": "tozero"},
        **extra,
    )


def team_mix_figure(advice) -> dict:
    """data: "API spend (today)" bars, then "Cheapest mix" bars (each developer on their cheapest
    option that month), one per month of the window."""
    x = _months(advice.months)
    return {
        "data": [
            {"type": "bar", "name": "API spend (today)", "x": x, "y": [_money(row.spend) for row in advice.by_month],
             "marker": {"color": API_COLOR},
             "hovertemplate": "%{x|%B %Y}: $%{y:,.2f} on the API<extra></extra>"},
            {"type": "bar", "name": "Cheapest mix", "x": x, "y": [_money(row.mix) for row in advice.by_month],
             "marker": {"color": MIX_COLOR},
             "hovertemplate": "%{x|%B %Y}: $%{y:,.2f} with each developer on their cheapest option<extra></extra>"},
        ],
        "layout": _layout("USD per month"),
    }


def developer_plans_figure(mine) -> dict:
    """data: "API spend" bars per month, then one dashed line per plan priced in any month of the
    window at its monthly fee (a gap where it has no price). A plan under the bar was cheaper."""
    x = _months(row.month for row in mine.months)
    traces = [{
        "type": "bar", "name": "API spend", "x": x, "y": [_money(row.spend) for row in mine.months],
        "marker": {"color": API_COLOR}, "hovertemplate": "%{x|%B %Y}: $%{y:,.2f} on the API<extra></extra>",
    }]
    for index, item in enumerate(mine.months[0].plans if mine.months else []):
        prices = [row.plans[index].price for row in mine.months]
        if all(price is None for price in prices):
            continue  # no published price: nothing to draw, never a $0 line
        traces.append({
            "type": "scatter", "mode": "lines+markers", "name": f"{item.label} fee", "x": x,
            "y": [_money(price) for price in prices],
            "line": {"color": PLAN_COLORS.get(item.plan, AVERAGE_COLOR), "dash": "dash", "shape": "hvh"},
            "hovertemplate": f"{item.label}: $%{{y:,.2f}} a month<extra></extra>",
        })
    return {"data": traces, "layout": _layout("USD per month")}
