"""LiteLLM's daily activity export, per shared/formats/litellm.md §5 (and §3, the prompt_tokens trap).

Input: the CSV of ``GET /user/daily/activity/export?…&format=csv``::

    date,entity_id,entity_alias,api_key,key_alias,user_id,user_email,model,spend,flat_cost,
    prompt_tokens,completion_tokens,api_requests,successful_requests,failed_requests,
    cache_read_input_tokens,cache_creation_input_tokens

and the older UI exports ("Date, User ID, Spend ($), Requests, …, Prompt Tokens, …": header names
are matched loosely, "Requests" read as api_requests) when they carry a model and the two cache
columns. One without the cache columns is rejected whole: its prompt_tokens hide the cache reads
(and, from LiteLLM 1.78, the writes), and pricing them all as input would overstate it many times.

One ParsedAggregate per row, for the UTC day of ``date`` (width "1d"), keyed by the date, entity,
user, API key and model, so an export fetched again replaces its rows.

Who: ``user_id`` (a LiteLLM user, the same name space as the SpendLogs ``user`` column), else
``user_email``; ``email`` is user_email when it is an address. ``api_key`` is the key alias, else
the key's hash (never a secret).

Tokens: uncached input is prompt_tokens − cache reads − cache writes, or on a proxy ≤ 1.77
prompt_tokens − cache reads (litellm_common.uncached_input; a row below both is rejected). The
daily tables have no 5m/1h split: writes count as 5m (pricing.md's rule) with
``cache_split_known`` False. ``spend`` is ``reported_cost`` (exact Decimal). ``requests`` counts
successful calls only: ``successful_requests`` when the export has it, else ``api_requests`` less
``failed_requests``, else ``api_requests`` (older exports). A row with no tokens is skipped, unless
it has spend (rejected: money costdash cannot price must be seen).

Failed calls (issue 12): LiteLLM adds a failed call's estimated prompt_tokens to its daily row with
``spend`` 0. A row of failed calls only (no successful request, failed ones, no spend) is skipped:
its tokens were never billed. A row mixing both cannot be split (the export sums them): its
prompt tokens may overstate the input by the failures' estimates; the SpendLogs rows of those days,
where kept, count each call exactly, and outrank this export (rollups.dedupe).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from .base import ParsedAggregate, ParseStats, Rejected, RowError
from .litellm_common import EMAIL, count, counted, money, uncached_input
from .report_common import (
    MAX_COUNT,
    MAX_USD,
    built,
    csv_header,
    csv_rows,
    missing_columns,
    natural_key,
    required_tokens,
    text,
    tokens,
    utc_midnight,
)

SOURCE = "litellm_daily"
ALIASES = {"requests": "api_requests", "total_spend": "spend"}
REQUIRED = ("date", "model", "prompt_tokens", "completion_tokens")
CACHE_COLUMNS = ("cache_read_input_tokens", "cache_creation_input_tokens")


def detect(head: bytes, name: str) -> bool:
    """A CSV with date, prompt_tokens, completion_tokens and (api_)requests, and no request_id or
    startTime (those are litellm_spendlogs rows, one per request)."""
    header = csv_header(head)
    return (
        {"date", "prompt_tokens", "completion_tokens"} <= header
        and bool({"api_requests", "requests"} & header)
        and not {"request_id", "starttime"} & header
    )


def parse(
    stream: BinaryIO, name: str, stats: ParseStats, on_bytes: Callable[[int], None] | None = None
) -> Iterator[ParsedAggregate | Rejected]:
    """One ParsedAggregate per row with tokens; a Rejected per bad row (line 0: the whole file)."""
    yield from built(csv_rows(counted(stream, stats, on_bytes), name, ALIASES, _header_problem), name, stats, _row)


def _header_problem(header: list[str]) -> str:
    problem = missing_columns(header, *REQUIRED)
    if not problem and not set(CACHE_COLUMNS) <= set(header):
        problem = (
            missing_columns(header, *CACHE_COLUMNS)
            + ": prompt_tokens hides the cache tokens, so the input cannot be priced (export from a LiteLLM"
            " whose daily export has them)"
        )
    return problem


def _row(row: dict) -> ParsedAggregate | list:
    start = utc_midnight(row["date"], "date")
    model = text(row["model"], "model")
    prompt = required_tokens(row, "prompt_tokens", text=True)
    output = required_tokens(row, "completion_tokens", text=True)
    reads = tokens(row["cache_read_input_tokens"], "cache_read_input_tokens", text=True)
    writes = tokens(row["cache_creation_input_tokens"], "cache_creation_input_tokens", text=True)
    spend = money(row.get("spend"), "spend", text=True, limit=MAX_USD)
    if not any((prompt, output, reads, writes)):
        if spend:
            raise RowError(f"field spend is {spend} but the row has no tokens: not a token-priced call")
        return []  # failed calls, management endpoints: nothing billable
    succeeded, failed = _requests(row)
    if succeeded == 0 and failed and not spend:
        return []  # failed calls only: their prompt tokens are LiteLLM's estimates, never billed
    if not model:
        raise RowError("field model is missing")
    user, user_email = text(row.get("user_id"), "user_id", 320), text(row.get("user_email"), "user_email", 320)
    identity = user or user_email
    entity, api_key = text(row.get("entity_id"), "entity_id", 320), text(row.get("api_key"), "api_key")
    return ParsedAggregate(
        key=natural_key(SOURCE, start.date().isoformat(), entity, user, api_key, model),
        start=start,
        width="1d",
        raw_model=model,
        identity=identity,
        email=next((e for e in (user_email, identity) if EMAIL.fullmatch(e)), ""),
        api_key=text(row.get("key_alias"), "key_alias") or api_key,
        input_tokens=uncached_input(prompt, reads, writes),
        output_tokens=output,
        cache_read_tokens=reads,
        cache_write_5m_tokens=writes,
        cache_split_known=False,
        requests=succeeded,
        reported_cost=spend,
    )


def _requests(row: dict) -> tuple[int | None, int]:
    """(successful calls or None when unknown, failed calls) of a row (module docstring)."""
    total = count(row.get("api_requests"), "api_requests", text=True, limit=MAX_COUNT)
    succeeded = count(row.get("successful_requests"), "successful_requests", text=True, limit=MAX_COUNT)
    failed = count(row.get("failed_requests"), "failed_requests", text=True, limit=MAX_COUNT) or 0
    if succeeded is None and total is not None:
        succeeded = max(total - failed, 0)
    return succeeded, failed
