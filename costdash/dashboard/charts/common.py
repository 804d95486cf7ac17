"""What every chart shares: colours, reference lines, money labels. The one place money becomes float.

Chart builders turn selector rows into Plotly figure dicts (plain, JSON-able), one module per
page. Templates embed a figure with `json_script`; static/js/charts.js draws it. An empty figure
is never drawn: the template shows its empty state instead.
"""
from decimal import Decimal

from costdash.lib.money import usd

AVERAGE_COLOR = "#6b7280"
CEILING_COLOR = "#dc2626"
P90_COLOR = "#7c3aed"
# Past this many developers a legend buries the plot: hover names the line, the table lists everyone.
LEGEND_MAX_DEVELOPERS = 12


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


