"""spend_per_developer_figure: plain JSON data, one trace per developer, three reference lines."""
from datetime import date
from decimal import Decimal as D
import json

from costdash.dashboard.charts import spend_per_developer_figure

AVERAGE, CEILING = D("13.00"), D("30.00")


def row(dev_id, name, day, cost):
    return {"developer_id": dev_id, "developer": name, "day": date(2026, 3, day), "cost": D(cost)}


ROWS = [
    row(2, "Bo", 2, "30.00"),
    row(1, "ana", 3, "31.004"),
    row(1, "ana", 2, "15.50"),
    row(1, "ana", 6, "13.00"),  # 03-04 and 03-05 missing: the line must break
]


def figure(p90=D("30.6"), **kwargs):
    return spend_per_developer_figure(ROWS, AVERAGE, CEILING, p90, **kwargs)


def test_figure_is_plain_json():
    fig = figure()
    assert json.loads(json.dumps(fig)) == fig  # no Decimal, no date


def test_one_trace_per_developer_ordered_by_name():
    traces = figure()["data"]
    assert [t["name"] for t in traces] == ["ana", "Bo"]
    ana, bo = traces
    assert ana["x"] == ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-06"]
    assert ana["y"] == [15.5, 31.0, None, 13.0]  # a None breaks the line over the missing days
    assert bo["x"] == ["2026-03-02"] and bo["y"] == [30.0]
    assert all(isinstance(y, float) for y in ana["y"] if y is not None)


def test_hover_shows_developer_day_and_dollars():
    template = figure()["data"][0]["hovertemplate"]
    assert template == "%{fullData.name} · %{x|%Y-%m-%d} · $%{y:,.2f}<extra></extra>"


def test_three_reference_lines_at_their_values():
    layout = figure()["layout"]
    assert [(s["y0"], s["y1"]) for s in layout["shapes"]] == [(13.0, 13.0), (30.0, 30.0), (30.6, 30.6)]
    assert all(s["xref"] == "paper" and (s["x0"], s["x1"]) == (0, 1) for s in layout["shapes"])
    labels = [(a["y"], a["text"]) for a in layout["annotations"]]
    assert labels == [
        (13.0, "Anthropic average $13/active day"),
        (30.0, "90% of users stay below $30"),
        (30.6, "Team P90 $30.60"),
    ]


def test_no_p90_line_without_a_p90():
    layout = figure(p90=None)["layout"]
    assert [s["y0"] for s in layout["shapes"]] == [13.0, 30.0]
    assert len(layout["annotations"]) == 2


def test_p90_label_and_other_figures():
    fig = spend_per_developer_figure(ROWS, D("6"), D("12.50"), D("7.123"), p90_label="Your P90")
    texts = [a["text"] for a in fig["layout"]["annotations"]]
    assert texts == ["Anthropic average $6/active day", "90% of users stay below $12.50", "Your P90 $7.12"]


def test_y_axis_is_usd_per_day():
    yaxis = figure()["layout"]["yaxis"]
    assert yaxis["title"] == {"text": "USD per day"}
    assert yaxis["tickprefix"] == "$"


def test_no_rows_gives_no_traces_but_keeps_the_lines():
    fig = spend_per_developer_figure([], AVERAGE, CEILING, None)
    assert fig["data"] == [] and len(fig["layout"]["shapes"]) == 2


def test_many_developers_hide_the_legend():
    many = [row(n, f"Dev {n:02d}", 2, "1") for n in range(13)]
    assert spend_per_developer_figure(many, AVERAGE, CEILING, None)["layout"]["showlegend"] is False
    assert figure()["layout"]["showlegend"] is True
