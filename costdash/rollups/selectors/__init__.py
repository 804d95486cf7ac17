"""Reads of rollups for pages and the API, one module per area; never UsageEvent.

Every selector is scoped by a ``Scope`` (rollups.scope) or by a developer queryset the caller has
already limited to what the user may see (``roles.developers_visible_to(user)``).
"""
from .cache import cache_overview
from .developers import developer_detail, developer_sessions, developer_table, session_counts, session_minutes
from .limits import known_workspaces, org_daily_spend, workspace_daily_spend
from .model_mix import cheaper_alternative, default_what_if, model_mix, priced_models, what_if
from .overview import cost_distribution, day_model_totals, month_to_date, overview
from .spend import developer_day_rows, developer_day_totals, models_in_rollups, sources_of

__all__ = [
    "cache_overview", "cheaper_alternative", "default_what_if", "model_mix", "priced_models", "what_if",
    "developer_day_rows", "developer_day_totals", "models_in_rollups", "sources_of",
    "known_workspaces", "org_daily_spend", "workspace_daily_spend",
    "cost_distribution", "day_model_totals", "developer_detail", "developer_sessions", "developer_table",
    "month_to_date", "overview", "session_counts", "session_minutes",
]
