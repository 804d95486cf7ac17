"""What Anthropic billed, per UTC day, per shared/formats/anthropic-admin-api.md §2 and its
"Console CSV exports" section. It names no people: stored for reconciliation, never attributed.

Input:
- ``GET /v1/organizations/cost_report`` pages (``{"data": [{starting_at, ending_at, results:
  [...]}], …}``), alone, several in a JSON array, or one per line. ``amount`` is a decimal
  string in **cents**: USD is ``Decimal(amount) / 100``, never a float. A currency other than
  USD is rejected (money is USD end to end); a bucket that is not a day is rejected.
- the Console cost CSV (Console → Cost → Export): ``cost_usd`` is in **dollars**. Its ``model``
  is a display name ("Claude Sonnet 4.5"), turned into the API id where the name has the usual
  shape (model_id); its ``token_type`` (``input_no_cache``…) becomes the API's name for the same
  class, with cost_type "tokens"; any other kind of row (web search) keeps its type as cost_type.

One ParsedBilled per result or row, keyed by the day and every dimension it carries (the CSV's
also by its ``api_key`` column, which BilledCost does not keep), so a day fetched again replaces
the stored lines.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
import re
from typing import BinaryIO

from .base import ParsedBilled, ParseStats, Rejected, RowError
from .litellm_common import money
from .report_common import (
    MAX_USD,
    cents,
    csv_header,
    is_json,
    missing_columns,
    natural_key,
    pages_or_csv,
    text,
    utc_midnight,
)

SOURCE = "anthropic_cost"
FIELDS = {  # result field: stored size
    "workspace_id": 200, "description": 300, "model": 200, "token_type": 60, "service_tier": 20,
    "context_window": 20, "inference_geo": 32, "cost_type": 40,
}
COST_KEYS = (re.compile(rb'"starting_at"\s*:'), re.compile(rb'"(amount|cost_type)"\s*:'))
CSV_TOKEN_TYPES = {
    "input_no_cache": "uncached_input_tokens",
    "input_cache_read": "cache_read_input_tokens",
    "input_cache_write_5m": "cache_creation.ephemeral_5m_input_tokens",
    "input_cache_write_1h": "cache_creation.ephemeral_1h_input_tokens",
    "output": "output_tokens",
}
DISPLAY_NAME = re.compile(
    r"claude\s+(?:(?P<family>[a-z]+)\s+(?P<version>\d+(?:\.\d+)?)|(?P<version2>\d+(?:\.\d+)?)\s+(?P<family2>[a-z]+))",
    re.IGNORECASE,
)


def detect(head: bytes, name: str) -> bool:
    """cost_report pages (buckets whose results have ``amount`` or ``cost_type``), or a CSV with
    usage_date_utc and cost_usd."""
    if is_json(head):
        return all(k.search(head) for k in COST_KEYS)
    return {"usage_date_utc", "cost_usd"} <= csv_header(head)


def parse(
    stream: BinaryIO, name: str, stats: ParseStats, on_bytes: Callable[[int], None] | None = None
) -> Iterator[ParsedBilled | Rejected]:
    """One ParsedBilled per result or CSV row; a Rejected per bad one (line 0: the whole file)."""
    yield from pages_or_csv(stream, name, stats, on_bytes, _api_result, _csv_row, _csv_header_problem)


def model_id(display: str) -> str:
    """The API id of a Console display name ("Claude Sonnet 4.5" → claude-sonnet-4-5, "Claude Haiku
    3.5" → claude-3-5-haiku: before version 4 the version came first), else the name unchanged."""
    match = DISPLAY_NAME.fullmatch(display.strip())
    if not match:
        return display
    family = (match["family"] or match["family2"]).lower()
    version = (match["version"] or match["version2"]).replace(".", "-")
    return f"claude-{version}-{family}" if int(version.split("-")[0]) < 4 else f"claude-{family}-{version}"


def _api_result(item: tuple[datetime, str, object]) -> ParsedBilled:
    start, width, result = item
    if width != "1d":
        raise RowError(f"bucket is {width} long: cost_report buckets are days")
    if not isinstance(result, dict):
        raise RowError("result is not an object")
    if result.get("amount") in (None, ""):
        raise RowError("field amount is missing")
    currency = text(result.get("currency"), "currency") or "USD"
    if currency != "USD":
        raise RowError(f"field currency is {currency[:10]!r}: only USD amounts are read")
    values = {f: text(result.get(f), f, size) for f, size in FIELDS.items()}
    day = start.date()
    return ParsedBilled(
        key=natural_key(SOURCE, day.isoformat(), *values.values()),
        day=day,
        amount=cents(result["amount"], "amount", text=True),
        workspace=values["workspace_id"],
        description=values["description"],
        cost_type=values["cost_type"],
        raw_model=values["model"],
        token_type=values["token_type"],
        service_tier=values["service_tier"],
        context_window=values["context_window"],
        inference_geo=values["inference_geo"],
    )


def _csv_header_problem(header: list[str]) -> str:
    return missing_columns(header, "usage_date_utc", "model", "token_type", "cost_usd")


def _csv_row(row: dict) -> ParsedBilled:
    day = utc_midnight(row["usage_date_utc"], "usage_date_utc").date()
    amount = money(row["cost_usd"], "cost_usd", text=True, limit=MAX_USD)
    if amount is None:
        raise RowError("field cost_usd is missing")
    values = {
        f: text(row.get(f), f, size)
        for f, size in (("workspace", 200), ("api_key", 200), ("model", 200), ("token_type", 60),
                        ("usage_type", 20), ("context_window", 20))
    }
    kind = values["token_type"]
    return ParsedBilled(
        key=natural_key(SOURCE, "console", day.isoformat(), *values.values()),
        day=day,
        amount=amount,
        workspace=values["workspace"],
        cost_type="tokens" if kind in CSV_TOKEN_TYPES else kind,
        raw_model=model_id(values["model"]),
        token_type=CSV_TOKEN_TYPES.get(kind, ""),
        service_tier=values["usage_type"],
        context_window=values["context_window"],
    )
