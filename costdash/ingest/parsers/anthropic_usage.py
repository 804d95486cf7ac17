"""Anthropic token usage already summed per bucket, per shared/formats/anthropic-admin-api.md §1
and its "Console CSV exports" section.

Input:
- ``GET /v1/organizations/usage_report/messages`` pages (``{"data": [{starting_at, ending_at,
  results: [...]}], "has_more", "next_page"}``), alone, several in a JSON array, or one per line;
- the Console usage CSV (Console → Usage → Export), with the 5m/1h cache-write columns or the
  older single ``usage_input_tokens_cache_write`` column; extra columns are ignored.

One ParsedAggregate per result (CSV row). Its key is the bucket start and width plus every
group-by value the result carries, so the same bucket fetched again replaces the stored one.
The bucket's width comes from ending_at − starting_at ("1d", "1h" or "1m"); a CSV row is a UTC day.

Who: the API's ``account_id`` (``user_01…``), else ``service_account_id``, else ``api_key_id``,
each stored raw: Anthropic's ids carry their own kind (``user_``, ``svac_``, ``apikey_``), so
kinds cannot collide, and a raw account id is the same identity Claude Code's telemetry
(``user.account_id``) names in the shared "anthropic" name space. The CSV names its key by display
name: that name is the identity (the Analytics API's ``api_actor`` names a key the same way).
A report not grouped by any of these names nobody: stored, attributed to no developer.

Tokens: ``uncached_input_tokens`` is the input; ``cache_creation.ephemeral_5m/1h_input_tokens``
the writes; the older CSV's single write column is priced as 5m writes (pricing.md's rule for a
write without a TTL split) with ``cache_split_known`` False. ``service_tier`` "batch" is Batch
pricing.

Rejected: a result without ``model``: it cannot be priced, and $0 or silence would hide it, so
the reason says to group the report by model. The API report and the Console CSV name keys
differently (ids against display names), so importing both for the same days counts them twice:
use one of them per period.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
import re
from typing import BinaryIO

from .base import ParsedAggregate, ParseStats, Rejected, RowError
from .report_common import (
    MAX_COUNT,
    csv_header,
    holder,
    is_json,
    missing_columns,
    natural_key,
    pages_or_csv,
    required_tokens,
    text,
    tokens,
    utc_midnight,
)

SOURCE = "anthropic_usage"
NO_MODEL = "result has no model: group the report by model (group_by[]=model) so it can be priced"
IDS = ("account_id", "service_account_id", "api_key_id", "workspace_id")
DIMENSIONS = {"service_tier": 20, "context_window": 20, "inference_geo": 32, "speed": 16}  # column sizes
USAGE_KEY = re.compile(rb'"uncached_input_tokens"\s*:')
BUCKET_KEYS = (re.compile(rb'"starting_at"\s*:'), re.compile(rb'"results"\s*:'))
COST_KEYS = re.compile(rb'"(amount|cost_type)"\s*:')
WRITE_5M, WRITE_1H = "usage_input_tokens_cache_write_5m", "usage_input_tokens_cache_write_1h"
WRITE_ANY = "usage_input_tokens_cache_write"
CSV_REQUIRED = (
    "usage_date_utc", "model_version", "usage_input_tokens_no_cache", "usage_input_tokens_cache_read",
    "usage_output_tokens",
)


def detect(head: bytes, name: str) -> bool:
    """usage_report/messages pages (a result's ``uncached_input_tokens``, or buckets with no cost
    fields when the head holds only empty ones), or a CSV with usage_date_utc and model_version."""
    if is_json(head):
        if USAGE_KEY.search(head):
            return True
        return all(k.search(head) for k in BUCKET_KEYS) and not COST_KEYS.search(head)
    return {"usage_date_utc", "model_version"} <= csv_header(head)


def parse(
    stream: BinaryIO, name: str, stats: ParseStats, on_bytes: Callable[[int], None] | None = None
) -> Iterator[ParsedAggregate | Rejected]:
    """One ParsedAggregate per result or CSV row; a Rejected per bad one (line 0: the whole file)."""
    yield from pages_or_csv(stream, name, stats, on_bytes, _api_result, _csv_row, _csv_header_problem)


def _api_result(item: tuple[datetime, str, object]) -> ParsedAggregate:
    start, width, result = item
    if not isinstance(result, dict):
        raise RowError("result is not an object")
    model = text(result.get("model"), "model")
    if not model:
        raise RowError(NO_MODEL)
    ids = {f: text(result.get(f), f) for f in IDS}
    dims = {f: text(result.get(f), f, size) for f, size in DIMENSIONS.items()}
    writes = holder(result.get("cache_creation"), "cache_creation")
    tools = holder(result.get("server_tool_use"), "server_tool_use")
    return ParsedAggregate(
        key=natural_key(SOURCE, start.isoformat(), width, model, *ids.values(), *dims.values()),
        start=start,
        width=width,
        raw_model=model,
        identity=ids["account_id"] or ids["service_account_id"] or ids["api_key_id"],
        workspace=ids["workspace_id"],
        api_key=ids["api_key_id"],
        **dims,
        is_batch=dims["service_tier"] == "batch",
        input_tokens=required_tokens(result, "uncached_input_tokens"),
        output_tokens=required_tokens(result, "output_tokens"),
        cache_read_tokens=tokens(result.get("cache_read_input_tokens"), "cache_read_input_tokens"),
        cache_write_5m_tokens=tokens(writes.get("ephemeral_5m_input_tokens"),
                                     "cache_creation.ephemeral_5m_input_tokens"),
        cache_write_1h_tokens=tokens(writes.get("ephemeral_1h_input_tokens"),
                                     "cache_creation.ephemeral_1h_input_tokens"),
        web_search_requests=tokens(tools.get("web_search_requests"), "server_tool_use.web_search_requests",
                                   limit=MAX_COUNT),
    )


def _csv_header_problem(header: list[str]) -> str:
    writes = (WRITE_5M, WRITE_1H) if WRITE_5M in header or WRITE_1H in header or WRITE_ANY not in header else ()
    return missing_columns(header, *CSV_REQUIRED, *writes)


def _csv_row(row: dict) -> ParsedAggregate:
    start = utc_midnight(row["usage_date_utc"], "usage_date_utc")
    model = text(row["model_version"], "model_version")
    if not model:
        raise RowError("field model_version is missing")
    api_key, workspace = text(row.get("api_key"), "api_key"), text(row.get("workspace"), "workspace")
    tier = text(row.get("usage_type"), "usage_type", DIMENSIONS["service_tier"])
    dims = {f: text(row.get(f), f, size) for f, size in DIMENSIONS.items() if f != "service_tier"}
    split = WRITE_5M in row
    write_5m = tokens(row[WRITE_5M if split else WRITE_ANY], WRITE_5M if split else WRITE_ANY, text=True)
    return ParsedAggregate(
        key=natural_key(SOURCE, "console", start.isoformat(), "1d", model, api_key, workspace, tier, *dims.values()),
        start=start,
        width="1d",
        raw_model=model,
        identity=api_key,
        workspace=workspace,
        api_key=api_key,
        service_tier=tier,
        **dims,
        is_batch=tier == "batch",
        input_tokens=required_tokens(row, "usage_input_tokens_no_cache", text=True),
        output_tokens=required_tokens(row, "usage_output_tokens", text=True),
        cache_read_tokens=tokens(row["usage_input_tokens_cache_read"], "usage_input_tokens_cache_read", text=True),
        cache_write_5m_tokens=write_5m,
        cache_write_1h_tokens=tokens(row[WRITE_1H], WRITE_1H, text=True) if split else 0,
        web_search_requests=tokens(row.get("web_search_count"), "web_search_count", text=True, limit=MAX_COUNT),
        cache_split_known=split,
    )
