"""The Projects page's chart: spend by project, each bar split by model (the project's model mix)."""
from .common import base_layout, model_color

# Past this many projects the chart shows the top ones; the table lists every project.
CHART_MAX_PROJECTS = 15


def project_spend_figure(projects: list[dict]) -> dict:
    """Horizontal stacked bars: one bar per project (most spend at the top, at most
    CHART_MAX_PROJECTS), one trace per model in order of total spend, so a model keeps one colour
    across bars. projects: chargeback.projects.project_table rows. Hover: project, model, dollars.
    ``layout.meta.hidden``: how many projects the chart leaves out."""
    shown = projects[:CHART_MAX_PROJECTS]
    totals: dict[str, float] = {}
    for p in shown:
        for m in p["models"]:
            totals[m["model"]] = totals.get(m["model"], 0.0) + float(m["spend"])
    models = sorted(totals, key=lambda model: (-totals[model], model))
    names = [p["name"] for p in reversed(shown)]  # Plotly draws the first category at the bottom
    traces = []
    for model in models:
        spend = {p["name"]: next((float(m["spend"]) for m in p["models"] if m["model"] == model), 0.0)
                 for p in shown}
        traces.append({
            "type": "bar", "orientation": "h", "name": model or "(no model)",
            "y": names, "x": [round(spend[name], 2) for name in names],
            "marker": {"color": model_color(model)},
            "hovertemplate": "%{y} · " + (model or "(no model)") + " · $%{x:,.2f}<extra></extra>",
        })
    return {
        "data": traces,
        "layout": base_layout(
            barmode="stack", height=max(220, 40 + 32 * len(shown)),
            margin={"l": 200, "r": 16, "t": 16, "b": 40},
            xaxis={"title": {"text": "USD"}, "tickprefix": "$", "rangemode": "tozero"},
            yaxis={"automargin": True},
            legend={"orientation": "h", "y": -0.2},
            meta={"hidden": max(0, len(projects) - len(shown))},
        ),
    }
