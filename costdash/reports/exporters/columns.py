"""The columns the monthly report's tables share (monthly.py, chargeback.py)."""
from __future__ import annotations

from .base import DATA, INT, MONEY, PRINT, Column

TOKEN_COLUMNS = (
    Column("input_tokens", "Input tokens", INT, where=DATA),
    Column("output_tokens", "Output tokens", INT, where=DATA),
    Column("cache_write_5m_tokens", "Cache write 5m tokens", INT, where=DATA),
    Column("cache_write_1h_tokens", "Cache write 1h tokens", INT, where=DATA),
    Column("cache_read_tokens", "Cache read tokens", INT, where=DATA),
    Column("web_search_requests", "Web searches", INT, where=DATA),
    Column("tokens", "Tokens", INT, where=PRINT),
)
REQUESTS = (Column("requests", "Requests", INT), Column("unpriced_requests", "Unpriced requests", INT, where=DATA))
PER_DAY = (
    Column("active_days", "Active days", INT),
    Column("average_per_active_day", "Avg / active day", MONEY),
    Column("p90", "P90 / active day", MONEY),
    Column("days_over_ceiling", "Days over ceiling", INT),
)
TOKEN_KEYS = ("input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens")


def with_tokens(row: dict) -> dict:
    """The row with "tokens": every class summed (the PDF's one tokens column)."""
    return row | {"tokens": sum(row[key] for key in TOKEN_KEYS)}
