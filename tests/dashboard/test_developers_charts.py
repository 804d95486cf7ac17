"""The developer page's daily cost figure as data: bars coloured by threshold, the three lines, units."""
from datetime import date
from decimal import Decimal as D
import json

from costdash.dashboard.charts.developers import DAY_COLORS, daily_cost_figure

AVERAGE, CEILING = D("13.00"), D("30.00")
DAYS = [
    {"day": date(2026, 3, 3), "cost": D("31.00")},
    {"day": date(2026, 3, 2), "cost": D("13.00")},
    {"day": date(2026, 3, 4), "cost": D("13.01")},
]


def test_one_bar_per_day_coloured_by_threshold():
    fig = daily_cost_figure(DAYS, AVERAGE, CEILING, D("26.35"), p90_label="Your P90")
    assert json.loads(json.dumps(fig)) == fig
    (trace,) = fig["data"]
    assert trace["type"] == "bar"
    assert (trace["x"], trace["y"]) == (["2026-03-02", "2026-03-03", "2026-03-04"], [13.0, 31.0, 13.01])
    assert trace["marker"]["color"] == [DAY_COLORS["under_average"], DAY_COLORS["over_ceiling"],
                                        DAY_COLORS["over_average"]]
    assert trace["hovertemplate"] == "%{x|%Y-%m-%d} · $%{y:,.2f}<extra></extra>"
    assert fig["layout"]["yaxis"]["tickprefix"] == "$"


def test_average_ceiling_and_own_p90_lines():
    fig = daily_cost_figure(DAYS, AVERAGE, CEILING, D("26.35"), p90_label="Their P90")
    assert [(s["y0"], s["xref"]) for s in fig["layout"]["shapes"]] == [(13.0, "paper"), (30.0, "paper"),
                                                                       (26.35, "paper")]
    assert [a["text"] for a in fig["layout"]["annotations"]] == [
        "Anthropic average $13/active day", "90% of users stay below $30", "Their P90 $26.35"]
    assert len(daily_cost_figure(DAYS, AVERAGE, CEILING, None, p90_label="x")["layout"]["shapes"]) == 2
