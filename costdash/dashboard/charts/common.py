"""What every chart shares: colours, reference lines, money labels. The one place money becomes float.

Chart builders turn selector rows into Plotly figure dicts (plain, JSON-able), one module per
page. Templates embed a figure with `json_script`; static/js/charts.js draws it. An empty figure
is never drawn: the template shows its empty state instead.
"""
from decimal import Decimal
import re
import zlib

from costdash.lib.money import usd

AVERAGE_COLOR = "#6b7280"
CEILING_COLOR = "#dc2626"
P90_COLOR = "#7c3aed"
# Past this many developers a legend buries the plot: hover names the line, the table lists everyone.
LEGEND_MAX_DEVELOPERS = 12
# One colour per model on every chart, the dashboard's and the PDF report's (issue 13): the models most
# teams use are pinned apart; any other model takes a palette colour from a hash of its name, so it
# keeps that colour whatever else a chart shows.
MODEL_PALETTE = ("#2563eb", "#f97316", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04", "#db2777",
                 "#4b5563", "#65a30d", "#0d9488", "#c026d3")
PINNED_MODEL_COLORS = {
    "claude-sonnet-4-6": "#2563eb", "claude-opus-4-6": "#9333ea", "claude-haiku-4-5": "#16a34a",
    "claude-sonnet-4-5": "#0891b2", "claude-opus-4-5": "#db2777", "claude-opus-4-1": "#c026d3",
    "claude-sonnet-4": "#0d9488", "claude-opus-4": "#ca8a04", "claude-3-5-haiku": "#65a30d",
}
DATED_MODEL = re.compile(r"-\d{8}$")  # claude-haiku-4-5-20251001 is claude-haiku-4-5


def model_color(model: str | None) -> str:
    """The one colour of ``model`` on every chart (a dated id has its alias's colour)."""
    name = DATED_MODEL.sub("", model or "")
    if name in PINNED_MODEL_COLORS:
        return PINNED_MODEL_COLORS[name]
    return MODEL_PALETTE[zlib.crc32(name.encode()) % len(MODEL_PALETTE)]


def dollars_label(amount: Decimal) -> str:
    """"$13" for whole dollars, "$13.50" otherwise: short labels for reference lines."""
    text = usd(amount)
    return text[:-3] if text.endswith(".00") else text


def reference_line(y: Decimal, label: str, color: str, dash: str, side: str = "right") -> tuple[dict, dict]:
    """A full-width horizontal line at y and its label just above it, at the left or right end."""
    value = float(y)
    shape = {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": value,
        "y1": value,
        "line": {"color": color, "width": 2, "dash": dash},
        "layer": "above",  # stays visible over a crowd of developer lines
    }
    annotation = {
        "xref": "paper",
        "x": 1 if side == "right" else 0,
        "xanchor": side,
        "yref": "y",
        "y": value,
        "yanchor": "bottom",
        "text": label,
        "showarrow": False,
        "font": {"color": color, "size": 11},
        "bgcolor": "rgba(255,255,255,0.8)",
    }
    return shape, annotation




def threshold_lines(
    average: Decimal, ceiling: Decimal, p90: Decimal | None, p90_label: str
) -> list[tuple[dict, dict]]:
    """The horizontal reference lines of a daily-cost chart, in this order: the average ("Anthropic
    average $13/active day"), the ceiling ("90% of users stay below $30") and, when p90 is not
    None, "<p90_label> $x.xx"."""
    lines = [
        reference_line(average, f"Anthropic average {dollars_label(average)}/active day", AVERAGE_COLOR, "dash"),
        reference_line(ceiling, f"90% of users stay below {dollars_label(ceiling)}", CEILING_COLOR, "dash"),
    ]
    if p90 is not None:
        # Left-hand label: the P90 often sits near the ceiling, whose label is on the right.
        lines.append(reference_line(p90, f"{p90_label} {usd(p90)}", P90_COLOR, "dot", side="left"))
    return lines


def base_layout(**layout) -> dict:
    """The layout every chart starts from (transparent, compact margins), with ``layout`` on top."""
    return {
        "margin": {"l": 56, "r": 16, "t": 36, "b": 40},
        "hovermode": "closest",
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
    } | layout


def vertical_line(x: Decimal, label: str, color: str, dash: str, label_y: float = 1.0) -> tuple[dict, dict]:
    """A full-height vertical line at x and its label at the top (``label_y``: fraction of the plot
    height, to keep labels of nearby lines apart), just right of the line."""
    value = float(x)
    shape = {
        "type": "line",
        "xref": "x",
        "x0": value,
        "x1": value,
        "yref": "paper",
        "y0": 0,
        "y1": 1,
        "line": {"color": color, "width": 2, "dash": dash},
        "layer": "above",
    }
    annotation = {
        "xref": "x",
        "x": value,
        "xanchor": "left",
        "yref": "paper",
        "y": label_y,
        "yanchor": "top",
        "text": label,
        "showarrow": False,
        "font": {"color": color, "size": 11},
        "bgcolor": "rgba(255,255,255,0.8)",
    }
    return shape, annotation
