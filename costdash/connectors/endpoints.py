"""The Admin API endpoints a connection pulls: their path, parser, and the queries that cover some days.

Adding one = one ``Endpoint`` in ``ENDPOINTS`` (and its parser in costdash.ingest.parsers).
Each endpoint turns a span of UTC days into ``Range``s: a query (name, value pairs, repeated
names allowed) plus the last day it covers. A range is paged to the end with the query unchanged
but for ``page``; when its last page commits, its last day counts as fetched.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
import importlib
from types import ModuleType

Params = list[tuple[str, str]]

USAGE_GROUP_BY = (
    "model", "account_id", "api_key_id", "workspace_id", "service_tier", "context_window", "inference_geo",
)
COST_GROUP_BY = ("workspace_id", "description")
BUCKETS_PER_PAGE = 31  # the most 1d buckets a page may hold
CLAUDE_CODE_RECORDS_PER_PAGE = 1000


@dataclass(frozen=True)
class Range:
    params: Params
    last_day: date


@dataclass(frozen=True)
class Endpoint:
    name: str  # the connection's name for it: "usage", "cost", "claude_code"
    path: str  # below the base URL
    source: str  # the parser's SOURCE, and the ImportBatch's
    parser_module: str  # in costdash.ingest.parsers
    trailing_days: int  # every run fetches this many days again, ending today (late data replaces buckets)
    ranges: Callable[[date, date], list[Range]]  # the queries covering [first, last]

    @property
    def label(self) -> str:
        return self.path.removeprefix("/v1/organizations/")

    def parser(self) -> ModuleType:
        return importlib.import_module(f"costdash.ingest.parsers.{self.parser_module}")


def _rfc3339(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _bucket_range(group_by: tuple[str, ...]) -> Callable[[date, date], list[Range]]:
    """One query of daily buckets from ``first`` to ``last`` inclusive (ending_at is exclusive)."""

    def ranges(first: date, last: date) -> list[Range]:
        params = [
            ("starting_at", _rfc3339(first)), ("ending_at", _rfc3339(last + timedelta(days=1))),
            ("bucket_width", "1d"), ("limit", str(BUCKETS_PER_PAGE)),
            *(("group_by[]", field) for field in group_by),
        ]
        return [Range(params, last)]

    return ranges


def _claude_code_days(first: date, last: date) -> list[Range]:
    """claude_code serves one UTC day per query, so one range per day."""
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    limit = str(CLAUDE_CODE_RECORDS_PER_PAGE)
    return [Range([("starting_at", day.isoformat()), ("limit", limit)], day) for day in days]


ENDPOINTS: dict[str, Endpoint] = {
    endpoint.name: endpoint
    for endpoint in (
        Endpoint("usage", "/v1/organizations/usage_report/messages", "anthropic_usage", "anthropic_usage",
                 trailing_days=3, ranges=_bucket_range(USAGE_GROUP_BY)),
        Endpoint("cost", "/v1/organizations/cost_report", "anthropic_cost", "anthropic_cost",
                 trailing_days=3, ranges=_bucket_range(COST_GROUP_BY)),
        # Only data older than about an hour is served: yesterday is fetched again the next day.
        Endpoint("claude_code", "/v1/organizations/usage_report/claude_code", "claude_code_analytics",
                 "claude_code_analytics", trailing_days=2, ranges=_claude_code_days),
    )
}


def first_day_to_fetch(fetched_through: date | None, start_date: date, today: date, trailing_days: int) -> date:
    """Where a run starts: the connection's start date on the first run, then the day after the
    last one fetched, but never later than the trailing window (the last ``trailing_days`` days) and
    never before the start date."""
    if fetched_through is None:
        return start_date
    return max(start_date, min(fetched_through + timedelta(days=1), today - timedelta(days=trailing_days - 1)))
