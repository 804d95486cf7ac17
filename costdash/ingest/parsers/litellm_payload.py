"""LiteLLM StandardLoggingPayload records, as the generic_api, S3 and GCS callback loggers write
them, per shared/formats/litellm.md §8: a JSON array (generic_api ``json_array``), NDJSON
(generic_api ``ndjson``, GCS batches) or one object (S3, generic_api ``single``).

A payload and the SpendLogs row of the same call carry the same numbers, so the rules in
litellm_common apply unchanged (the token rule, skipped rows, field checks). What differs:
- the id is ``id`` (the response id, e.g. the ``msg_…``, else litellm_call_id), which is the
  SpendLogs ``request_id`` of the same call: both dedupe on "litellm:" + id, so importing both
  counts the request once;
- who: metadata.user_api_key_user_id (then metadata.user_api_key_user_email); there is no
  ``user`` field, and ``end_user`` is not the developer;
- times are epoch seconds as floats (ISO text is accepted too);
- cache tokens exist only in metadata.usage_object: there are no top-level cache fields;
- reported_cost: ``response_cost``, else hidden_params.response_cost (text in older versions);
- ``cache_hit`` is a bool; true means LiteLLM's response cache answered, and the record is skipped;
- ``status`` "failure" (the ``llm_api_failure`` event) is a ParsedFailure, as a failed SpendLogs
  row is (litellm_common), its label from the payload's error_information.
A Rejected names the file and the record: its 1-based index in an array, or its NDJSON line.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
import re
from typing import BinaryIO

from .base import ParsedFailure, ParsedRequest, ParseStats, Rejected, RowError, summarised
from .checks import guarded
from .json_reader import EmptyRun
from .litellm_common import (
    BOM,
    START_TIME,
    WS,
    counted,
    json_values,
    litellm_request,
    loose_text,
    money,
    text_field,
)

SOURCE = "litellm_payload"
RESPONSE_COST_KEY = re.compile(rb'"response_cost"\s*:')


def detect(head: bytes, name: str) -> bool:
    """JSON or NDJSON with ``"response_cost":`` whose first ``"startTime"`` is an epoch number
    (in a SpendLogs row it is text, so the two never claim the same file)."""
    if head.lstrip(BOM).lstrip(WS)[:1] not in (b"[", b"{"):
        return False
    start = START_TIME.search(head)
    return bool(start and start.group(1) != b'"' and RESPONSE_COST_KEY.search(head))


def parse(
    stream: BinaryIO, name: str, stats: ParseStats, on_bytes: Callable[[int], None] | None = None
) -> Iterator[ParsedRequest | Rejected]:
    """Every billable record as a ParsedRequest, and a Rejected per bad record (or one with line 0
    for the whole file when it is empty, over 512 MB, not UTF-8, or not JSON); a run of records
    rejected alike is one Rejected with its count."""
    values = json_values(counted(stream, stats, on_bytes), name, runs=True)
    return summarised(_records(values, name, stats))


def _records(values, name: str, stats: ParseStats) -> Iterator[ParsedRequest | Rejected]:
    for number, record in values:
        if type(record) is EmptyRun:  # that many "{}" records: each would be rejected alike
            stats.lines += record.count
            rejected = guarded(_record_request, {}, name, number)
            if type(rejected) is Rejected:
                rejected.count = record.count
                yield rejected
            continue
        if isinstance(record, Rejected):
            stats.lines += number > 0
            yield record
            continue
        stats.lines += 1
        request = guarded(_record_request, record, name, number)
        if type(request) is Rejected:
            yield request
        elif request is not None:
            stats.usage_lines += type(request) is ParsedRequest  # a ParsedFailure is no usage
            yield request


def _record_request(record) -> ParsedRequest | ParsedFailure | None:
    if not isinstance(record, dict):
        raise RowError("record is not a JSON object")
    metadata = {} if record.get("metadata") is None else record["metadata"]
    if not isinstance(metadata, dict):
        raise RowError("field metadata is not a JSON object")
    identity = text_field(metadata.get("user_api_key_user_id"), "metadata.user_api_key_user_id")
    identity = identity or loose_text(metadata, "user_api_key_user_email")
    cost, cost_field = money(record.get("response_cost"), "response_cost"), "response_cost"
    hidden = record.get("hidden_params")
    if cost is None and isinstance(hidden, dict):
        cost_field = "hidden_params.response_cost"
        cost = money(hidden.get("response_cost"), cost_field, text=True)
    return litellm_request(record, metadata, key_field="id", cost=cost, cost_field=cost_field, identity=identity)
