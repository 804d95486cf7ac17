"""Claude Code Analytics: per-developer daily activity and usage, per
shared/formats/anthropic-admin-api.md §3 (``GET /v1/organizations/usage_report/claude_code``).

Input: its pages (``{"data": [records], "has_more", "next_page"}``), alone, several in a JSON
array, or one per line. A record is one (day, actor, terminal_type, is_remote).

Per record: one ParsedActivity (sessions, lines added/removed, commits and pull requests by Claude
Code, edit decisions summed over ``tool_actions``; ``detail`` keeps terminal_type, is_remote,
customer_type, subscription_type and the per-tool decisions) and one ParsedAggregate per
``model_breakdown`` entry, both for the UTC day of ``date`` (width "1d"). Keys: the day, the actor,
terminal_type and is_remote (absent counts as false: records fetched before the field existed
are the same rows), plus the model for usage; a day fetched again replaces its records.

Who: a ``user_actor`` is its email (identity and email both); an ``api_actor`` its
``api_key_name`` (the Console usage CSV names keys the same way).

Tokens: ``input`` (uncached), ``output``, ``cache_read``; ``cache_creation`` has no TTL split, so
it is counted as 1h writes, as the OTel parsers count Claude Code's unsplit writes
(otel_logs.UNSPLIT_CACHE_WRITES: Claude Code writes 1h caches), with ``cache_split_known``
False. ``estimated_cost.amount`` is cents as a JSON number (maybe fractional): ``reported_cost``
is USD via its decimal text, never float arithmetic. A currency other than USD, or a bad field
anywhere in a record, rejects the whole record, named.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
import re
from typing import BinaryIO

from .base import ParsedActivity, ParsedAggregate, ParseStats, Rejected, RowError
from .litellm_common import EMAIL, EMPTY, counted, first_byte
from .otel_logs import UNSPLIT_CACHE_WRITES
from .report_common import MAX_COUNT, built, cents, holder, is_json, natural_key, page_items, text, tokens, utc_midnight

SOURCE = "claude_code_analytics"
ACTOR_KEY = re.compile(rb'"actor"\s*:')
RECORD_KEYS = re.compile(rb'"(core_metrics|model_breakdown|terminal_type)"\s*:')
UNSPLIT_FIELD = f"cache_write_{UNSPLIT_CACHE_WRITES}_tokens"


def detect(head: bytes, name: str) -> bool:
    """JSON whose records have an ``actor`` and core_metrics, model_breakdown or terminal_type."""
    return is_json(head) and bool(ACTOR_KEY.search(head) and RECORD_KEYS.search(head))


def parse(
    stream: BinaryIO, name: str, stats: ParseStats, on_bytes: Callable[[int], None] | None = None
) -> Iterator[ParsedActivity | ParsedAggregate | Rejected]:
    """Each record's activity and model usage; a Rejected per bad record (line 0: the whole file)."""
    buf = counted(stream, stats, on_bytes)
    if first_byte(buf) is None:
        yield Rejected(name, 0, EMPTY)
        return
    yield from built(page_items(buf, name, "actor"), name, stats, _record)


def _record(record) -> list[ParsedActivity | ParsedAggregate]:
    if not isinstance(record, dict):
        raise RowError("record is not an object")
    start = utc_midnight(record.get("date"), "date")
    identity, email, actor = _actor(holder(record.get("actor"), "actor"))
    terminal = text(record.get("terminal_type"), "terminal_type", 100)
    remote = record.get("is_remote")
    if remote is not None and not isinstance(remote, bool):
        raise RowError("field is_remote is not true or false")
    remote = bool(remote)
    day_key = (start.date().isoformat(), actor, terminal, "remote" if remote else "local")
    metrics = holder(record.get("core_metrics"), "core_metrics")
    lines = holder(metrics.get("lines_of_code"), "core_metrics.lines_of_code")
    decisions, accepted, rejected = _tool_actions(holder(record.get("tool_actions"), "tool_actions"))
    activity = ParsedActivity(
        key=natural_key(SOURCE, *day_key),
        start=start,
        width="1d",
        identity=identity,
        email=email,
        sessions=_count(metrics, "num_sessions", "core_metrics."),
        lines_added=_count(lines, "added", "core_metrics.lines_of_code."),
        lines_removed=_count(lines, "removed", "core_metrics.lines_of_code."),
        commits=_count(metrics, "commits_by_claude_code", "core_metrics."),
        pull_requests=_count(metrics, "pull_requests_by_claude_code", "core_metrics."),
        edits_accepted=accepted,
        edits_rejected=rejected,
        detail={
            "terminal_type": terminal,
            "is_remote": remote,
            "customer_type": text(record.get("customer_type"), "customer_type", 40) or None,
            "subscription_type": text(record.get("subscription_type"), "subscription_type", 40) or None,
            "tool_actions": decisions,
        },
    )
    breakdown = record.get("model_breakdown")
    if breakdown is not None and not isinstance(breakdown, list):
        raise RowError("field model_breakdown is not a list")
    who = {"identity": identity, "email": email}
    usage = [_model_usage(e, f"model_breakdown[{i}].", start, day_key, who) for i, e in enumerate(breakdown or [])]
    return [activity, *usage]


def _actor(actor: dict) -> tuple[str, str, str]:
    """(identity, email, the actor as a key part)."""
    kind = actor.get("type")
    if kind == "user_actor":
        email = text(actor.get("email_address"), "actor.email_address", 254)
        if not EMAIL.fullmatch(email):
            raise RowError("field actor.email_address is missing" if not email else
                           f"field actor.email_address is not an email address: {email[:40]!r}")
        return email, email, f"user_actor:{email}"
    if kind == "api_actor":
        key_name = text(actor.get("api_key_name"), "actor.api_key_name", 320)
        if not key_name:
            raise RowError("field actor.api_key_name is missing")
        return key_name, "", f"api_actor:{key_name}"
    raise RowError(f"field actor.type is {str(kind)[:40]!r}, not user_actor or api_actor")


def _tool_actions(tools: dict) -> tuple[dict, int, int]:
    """(per-tool decisions, accepted in all, rejected in all); tools costdash does not know are summed too."""
    decisions, accepted, rejected = {}, 0, 0
    for tool, counts in tools.items():
        tool = text(tool, "tool_actions (a tool's name)", 100)
        prefix = f"tool_actions.{tool}."
        counts = holder(counts, prefix.rstrip("."))
        decisions[tool] = {kind: _count(counts, kind, prefix) for kind in ("accepted", "rejected")}
        accepted += decisions[tool]["accepted"]
        rejected += decisions[tool]["rejected"]
    if max(accepted, rejected) > MAX_COUNT:
        raise RowError(f"field tool_actions sums are out of range: {max(accepted, rejected)}")
    return decisions, accepted, rejected


def _model_usage(entry, where: str, start: datetime, day_key: tuple, who: dict) -> ParsedAggregate:
    """One model's tokens and estimated cost for the record's day, for ``who`` (identity, email)."""
    if not isinstance(entry, dict):
        raise RowError(f"field {where.rstrip('.')} is not an object")
    model = text(entry.get("model"), where + "model")
    if not model:
        raise RowError(f"field {where}model is missing")
    if entry.get("tokens") is None:
        raise RowError(f"field {where}tokens is missing")
    counts = holder(entry["tokens"], where + "tokens")
    estimate = holder(entry.get("estimated_cost"), where + "estimated_cost")
    currency = text(estimate.get("currency"), where + "estimated_cost.currency") or "USD"
    if currency != "USD":
        raise RowError(f"field {where}estimated_cost.currency is {currency[:10]!r}: only USD amounts are read")
    prefix = where + "tokens."
    return ParsedAggregate(
        key=natural_key(SOURCE, *day_key, model),
        start=start,
        width="1d",
        raw_model=model,
        **who,
        input_tokens=tokens(counts.get("input"), prefix + "input"),
        output_tokens=tokens(counts.get("output"), prefix + "output"),
        cache_read_tokens=tokens(counts.get("cache_read"), prefix + "cache_read"),
        **{UNSPLIT_FIELD: tokens(counts.get("cache_creation"), prefix + "cache_creation")},
        cache_split_known=False,
        reported_cost=cents(estimate.get("amount"), where + "estimated_cost.amount", text=True),
    )


def _count(holder_: dict, key: str, prefix: str) -> int:
    return tokens(holder_.get(key), prefix + key, limit=MAX_COUNT)
