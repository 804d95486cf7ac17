"""The Overview's figures as data: trace types, x/y values, reference lines, hover templates with units."""
from datetime import date
from decimal import Decimal as D
import json

from costdash.dashboard.charts.overview import (
    cost_distribution_figure,
    daily_spend_by_model_figure,
    top_spenders_figure,
)
from costdash.rollups.selectors import cost_distribution

AVERAGE, CEILING = D("13.00"), D("30.00")


def test_daily_spend_is_stacked_by_model_most_spend_first():
    rows = [
        {"day": date(2026, 3, 3), "model": "sonnet", "cost": D("31.004")},
        {"day": date(2026, 3, 2), "model": "opus", "cost": D("5.50")},
        {"day": date(2026, 3, 2), "model": "sonnet", "cost": D("40")},
    ]
    fig = daily_spend_by_model_figure(rows)
    assert json.loads(json.dumps(fig)) == fig  # plain JSON: no Decimal, no date
    assert fig["layout"]["barmode"] == "stack"
    assert [(t["type"], t["name"]) for t in fig["data"]] == [("bar", "sonnet"), ("bar", "opus")]  # 71.00 > 5.50
    sonnet, opus = fig["data"]
    assert (sonnet["x"], sonnet["y"]) == (["2026-03-02", "2026-03-03"], [40.0, 31.0])
    assert (opus["x"], opus["y"]) == (["2026-03-02"], [5.5])
    assert sonnet["hovertemplate"] == "%{fullData.name} · %{x|%Y-%m-%d} · $%{y:,.2f}<extra></extra>"
    assert fig["layout"]["yaxis"]["tickprefix"] == "$"


def test_distribution_has_the_average_ceiling_and_p90_lines():
    dist = cost_distribution([D(0), D("4"), D("13"), D("15.50"), D("31")])
    fig = cost_distribution_figure(dist, AVERAGE, CEILING, D("30.30"), p90_label="Team P90")
    assert json.loads(json.dumps(fig)) == fig
    (trace,) = fig["data"]
    assert trace["type"] == "bar" and trace["width"] == 1.0
    assert len(trace["x"]) == 32 and trace["x"][:2] == [0.5, 1.5]  # bin middles of $1 bins
    assert sum(trace["y"]) == 5 and trace["y"][13] == 1 and trace["y"][15] == 1
    assert trace["customdata"][15] == [15.0, 16.0]
    assert "$%{customdata[0]:,.2f} to $%{customdata[1]:,.2f} a day" in trace["hovertemplate"]
    assert "developer-day" in trace["hovertemplate"]
    shapes = fig["layout"]["shapes"]
    assert [(s["x0"], s["x1"], s["yref"]) for s in shapes] == [(13.0, 13.0, "paper"), (30.0, 30.0, "paper"),
                                                                (30.3, 30.3, "paper")]
    labels = [a["text"] for a in fig["layout"]["annotations"]]
    assert labels == ["Anthropic average $13", "90% of users stay below $30", "Team P90 $30.30"]
    assert fig["layout"]["xaxis"]["range"] == [0.0, 33.33]  # the P90 line (30.30 x 1.1) fits on the axis


def test_distribution_axis_reaches_the_ceiling_when_days_are_cheap():
    fig = cost_distribution_figure(cost_distribution([D("2"), D("3")]), AVERAGE, CEILING, None)
    assert len(fig["layout"]["shapes"]) == 2  # no P90 line without a P90
    assert fig["layout"]["xaxis"]["range"][1] == 33.0


def test_labels_near_the_right_edge_sit_left_of_their_line():
    """On a $0-33 axis the $30 line is at 91%: its label would run off the plot on its right."""
    fig = cost_distribution_figure(cost_distribution([D("2"), D("3")]), AVERAGE, CEILING, None)
    anchors = {a["text"]: a["xanchor"] for a in fig["layout"]["annotations"]}
    assert anchors == {"Anthropic average $13": "left", "90% of users stay below $30": "right"}
    assert fig["layout"]["yaxis"]["dtick"] == 1  # two developer-days: whole-number ticks
    many = cost_distribution_figure(cost_distribution([D("2")] * 40), AVERAGE, CEILING, None)
    assert "dtick" not in many["layout"]["yaxis"]


def test_top_spenders_are_horizontal_bars_first_on_top():
    rows = [{"developer": "Bo", "spend": D("60")}, {"developer": "Ana", "spend": D("59.499")}]
    fig = top_spenders_figure(rows)
    (trace,) = fig["data"]
    assert (trace["type"], trace["orientation"]) == ("bar", "h")
    assert (trace["y"], trace["x"]) == (["Bo", "Ana"], [60.0, 59.5])
    assert trace["hovertemplate"] == "%{y} · $%{x:,.2f}<extra></extra>"
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"
