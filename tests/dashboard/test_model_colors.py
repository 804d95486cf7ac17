"""One colour per model everywhere (issue 13): the Overview's daily chart (also the PDF report's), the
Models page's mix and what-if, and the Projects chart take a model's colour from charts.common."""
from datetime import date
from decimal import Decimal as D

from costdash.dashboard.charts.common import model_color
from costdash.dashboard.charts.model_mix import model_mix_figure, what_if_figure
from costdash.dashboard.charts.overview import daily_spend_by_model_figure
from costdash.dashboard.charts.projects import project_spend_figure

DAY = date(2026, 3, 2)


def colors(figure: dict) -> dict[str, str]:
    return {trace["name"].removeprefix("on "): trace["marker"]["color"] for trace in figure["data"]}


def test_a_model_has_one_colour_whatever_else_a_chart_shows():
    # On the Models page the busiest model came first and took the first colour: Opus here, Sonnet elsewhere.
    mix = colors(model_mix_figure([], ["claude-opus-4-6", "claude-sonnet-4-6"], "spend", DAY, DAY))
    rows = [{"day": DAY, "model": m, "cost": D(c)} for m, c in (("claude-sonnet-4-6", "9"), ("claude-opus-4-6", "1"),
                                                                 ("claude-haiku-4-5-20251001", "2"))]
    daily = colors(daily_spend_by_model_figure(rows))  # the Overview's, a developer's and the PDF report's
    projects = colors(project_spend_figure([{"name": "costdash", "models": [
        {"model": "claude-haiku-4-5", "spend": D(5)}, {"model": "claude-opus-4-6", "spend": D(1)}]}]))
    what_if = colors(what_if_figure({"from_model": "claude-opus-4-6", "to_model": "claude-sonnet-4-6", "developers": [
        {"developer": "Ana", "actual": D(1), "what_if": D(2), "difference": D(1)}]}))
    assert mix["claude-opus-4-6"] == daily["claude-opus-4-6"] == projects["claude-opus-4-6"] == what_if["claude-opus-4-6"]
    assert mix["claude-sonnet-4-6"] == daily["claude-sonnet-4-6"] == what_if["claude-sonnet-4-6"]
    assert daily["claude-haiku-4-5-20251001"] == projects["claude-haiku-4-5"]  # a dated id is its alias
    assert len({mix["claude-opus-4-6"], mix["claude-sonnet-4-6"], daily["claude-haiku-4-5-20251001"]}) == 3


def test_an_unknown_model_keeps_its_colour_from_its_name():
    assert model_color("claude-experimental-9") == model_color("claude-experimental-9")
    assert model_color(None) == model_color("")
