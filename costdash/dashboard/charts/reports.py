"""The monthly report's own chart: spend by team (the daily and top-spender charts are the Overview's)."""
from .common import base_layout
from .overview import BAR_COLOR, _money


def spend_by_team_figure(teams: list[dict]) -> dict:
    """One bar per team, in the order given (most spend first).

    teams: the report's team rows ({"team", "cost_center", "spend"}). Hover: team, cost center, dollars.
    """
    trace = {
        "type": "bar",
        "name": "Spend",
        "x": [row["team"] for row in teams],
        "y": [_money(row["spend"]) for row in teams],
        "customdata": [row["cost_center"] for row in teams],
        "marker": {"color": BAR_COLOR},
        "hovertemplate": "%{x} (%{customdata}) · $%{y:,.2f}<extra></extra>",
    }
    return {
        "data": [trace],
        "layout": base_layout(
            showlegend=False,
            xaxis={"type": "category", "automargin": True},
            yaxis={"title": {"text": "USD"}, "tickprefix": "$", "rangemode": "tozero"},
        ),
    }
