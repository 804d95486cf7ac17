"""The limit chart as figure data: running spend, projection, limit and warning lines, hit marker.

Figures from the org_usage fixture (see test_limit_status.py): March as of the 10th, $14 a day for
March 1–9 and $3 on the 10th; burn rate $14/day; limit $400 at 80% → warning line at $320.
"""
from datetime import date
import json

import pytest

from costdash.dashboard.charts.limits import limit_figure
from costdash.limits.selectors import limits_status
from tests.limits.conftest import MARCH_10, org_limit

pytestmark = pytest.mark.django_db


@pytest.fixture
def figure(org_usage):
    org_limit("400")
    [status] = limits_status(MARCH_10)
    return limit_figure(status)


def test_running_spend_through_today(figure):
    spend = figure["data"][0]
    assert spend["name"] == "Spend so far"
    assert spend["x"][0] == "2026-03-01" and spend["x"][-1] == "2026-03-10" and len(spend["x"]) == 10
    assert spend["y"] == [14.0, 28.0, 42.0, 56.0, 70.0, 84.0, 98.0, 112.0, 126.0, 129.0]


def test_projection_from_today_to_month_end(figure):
    projection = figure["data"][1]
    assert projection["name"] == "Projection" and projection["line"]["dash"] == "dot"
    assert projection["x"][0] == "2026-03-10" and projection["x"][-1] == "2026-03-31"
    # $129 today, + $14 a day: $143 on the 11th … $423 on the 31st.
    assert projection["y"][:2] == [129.0, 143.0] and projection["y"][-1] == 423.0


def test_hit_day_marker_at_the_limit(figure):
    marker = figure["data"][2]
    assert marker["name"] == "Limit reached (projected)"
    assert (marker["x"], marker["y"]) == (["2026-03-30"], [400.0])


def test_limit_and_warning_lines(figure):
    limit, warning = figure["layout"]["shapes"]
    assert (limit["y0"], limit["line"]["dash"]) == (400.0, "solid")
    assert (warning["y0"], warning["line"]["dash"]) == (320.0, "dash")
    labels = [a["text"] for a in figure["layout"]["annotations"]]
    assert labels == ["Limit $400", "Warning at 80% ($320)"]


def test_axes_span_the_month_in_dollars(figure):
    layout = figure["layout"]
    assert layout["xaxis"]["range"] == ["2026-03-01", "2026-03-31"]
    assert layout["yaxis"]["tickprefix"] == "$" and layout["yaxis"]["range"][0] == 0
    assert layout["yaxis"]["range"][1] == pytest.approx(423.0 * 1.1)  # the projection is the highest
    json.dumps(figure)  # plain JSON: no Decimal, no date


def test_a_past_month_has_no_projection(org_usage):
    org_limit("120")
    [status] = limits_status(MARCH_10, date(2026, 2, 1))
    figure = limit_figure(status)
    assert [t["name"] for t in figure["data"]] == ["Spend so far", "Limit reached"]
    assert figure["data"][0]["y"][-1] == 142.0 and len(figure["data"][0]["x"]) == 28
    assert figure["data"][1]["x"] == ["2026-02-25"]


def test_no_hit_no_marker(org_usage):
    org_limit("1000")
    [status] = limits_status(MARCH_10)
    assert [t["name"] for t in limit_figure(status)["data"]] == ["Spend so far", "Projection"]
