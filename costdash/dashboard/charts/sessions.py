"""A session's timeline: one point per request (turn), tokens above and dollars below.

Top panel (tokens): context size (input + cache read + cache write), cache reads, cache writes,
output, and the turns inferred to be a side thread (likely a subagent) as markers on the context
line. Bottom panel (USD): cost per turn (bars) and cumulative cost (line, right axis). Compactions
and model switches are vertical lines across both panels, labelled. x is the turn number, so idle
time between turns does not squeeze the chart; hover gives each turn's time.
"""
from costdash.rollups.session_timeline import COMPACTION, Timeline

from .common import base_layout, vertical_line

CONTEXT_COLOR = "#1f2937"
READ_COLOR = "#16a34a"
WRITE_COLOR = "#dc2626"
OUTPUT_COLOR = "#2563eb"
COST_COLOR = "#d97706"
CUMULATIVE_COLOR = "#7c3aed"
SIDE_COLOR = "#0891b2"
MARK_COLORS = {COMPACTION: "#b91c1c", "model_switch": "#4338ca"}


def session_timeline_figure(line: Timeline, time_zone) -> dict:
    """The figure of ``line`` (session_timeline.timeline); times shown in ``time_zone`` (a tzinfo)."""
    turns = line.turns
    x = [turn.number for turn in turns]
    times = [turn.at.astimezone(time_zone).strftime("%Y-%m-%d %H:%M:%S") for turn in turns]
    tokens = "Turn %{x} · %{customdata}<br>%{y:,} tokens<extra>%{fullData.name}</extra>"

    def token_trace(name: str, values: list[int], color: str, **extra) -> dict:
        return {"type": "scatter", "mode": "lines", "name": name, "x": x, "y": values, "customdata": times,
                "line": {"color": color, "width": 2}, "hovertemplate": tokens, "yaxis": "y"} | extra

    side = [turn for turn in turns if turn.side]
    data = [
        token_trace("Context (input + cache read + cache write)", [t.context for t in turns], CONTEXT_COLOR,
                    line={"color": CONTEXT_COLOR, "width": 3}),
        token_trace("Cache reads", [t.cache_read for t in turns], READ_COLOR),
        token_trace("Cache writes", [t.cache_write for t in turns], WRITE_COLOR),
        token_trace("Output", [t.output for t in turns], OUTPUT_COLOR, line={"color": OUTPUT_COLOR, "width": 1}),
        {"type": "bar", "name": "Cost per turn", "x": x, "yaxis": "y2", "customdata": times,
         "y": [None if t.cost is None else round(float(t.cost), 6) for t in turns],
         "marker": {"color": COST_COLOR}, "hovertemplate": "Turn %{x} · %{customdata}<br>$%{y:,.4f}<extra></extra>"},
        {"type": "scatter", "mode": "lines", "name": "Cumulative cost", "x": x, "yaxis": "y3",
         "y": [round(float(t.cumulative), 6) for t in turns], "line": {"color": CUMULATIVE_COLOR, "width": 2},
         "hovertemplate": "Turn %{x}<br>$%{y:,.2f} so far<extra></extra>"},
    ]
    if side:
        data.append({
            "type": "scatter", "mode": "markers", "name": "Side thread (likely subagent, inferred)",
            "x": [t.number for t in side], "y": [t.context for t in side], "yaxis": "y",
            "customdata": [times[t.number - 1] for t in side],
            "marker": {"color": SIDE_COLOR, "size": 7, "symbol": "diamond"}, "hovertemplate": tokens,
        })
    lines = [
        vertical_line(mark.number, mark.text, MARK_COLORS[mark.kind], "dash" if mark.kind == COMPACTION else "dot",
                      label_y=1.0 if index % 2 == 0 else 0.92)
        for index, mark in enumerate(line.marks)
    ]
    return {
        "data": data,
        "layout": base_layout(
            height=560,
            margin={"l": 56, "r": 64, "t": 36, "b": 40},  # room for the cumulative axis on the right
            hovermode="x unified",
            legend={"orientation": "h", "y": -0.12},
            xaxis={"title": {"text": "Turn (request)"}, "anchor": "y2", "rangemode": "tozero"},
            yaxis={"title": {"text": "Tokens"}, "domain": [0.42, 1], "rangemode": "tozero", "tickformat": "~s"},
            yaxis2={"title": {"text": "USD per turn"}, "domain": [0, 0.32], "tickprefix": "$", "rangemode": "tozero"},
            yaxis3={"title": {"text": "Cumulative"}, "overlaying": "y2", "side": "right", "tickprefix": "$",
                    "rangemode": "tozero", "showgrid": False},
            shapes=[shape for shape, _ in lines],
            annotations=[annotation for _, annotation in lines],
        ),
    }
