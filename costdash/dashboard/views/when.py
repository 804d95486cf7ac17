"""The "When" section (hour-of-day x weekday heatmap) the Overview and a developer's page share."""
from __future__ import annotations

from decimal import Decimal

from costdash.rollups.scope import Scope
from costdash.rollups.selectors.hourly import spend_by_hour

from ..charts.hourly import spend_heatmap_figure


def when_context(scope: Scope, time_zone: str, spend_every_model: Decimal | None = None) -> dict:
    """For templates/dashboard/_when.html: ``hourly`` (selectors.hourly.spend_by_hour) and
    ``figure`` (None when no request in the scope has an hour). ``spend_every_model``: the scope's
    spend over every model when the caller has it (saves a query); None under a model filter."""
    hourly = spend_by_hour(scope, None if scope.model else spend_every_model)
    figure = spend_heatmap_figure(hourly, time_zone) if hourly["requests_total"] else None
    return {"hourly": hourly, "figure": figure, "scope": scope, "time_zone": time_zone}
