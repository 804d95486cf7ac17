"""Counting each request once when several sources report it.

Sources share ids: Claude Code transcripts carry Anthropic's request id ("req_…") and message
id ("msg_…"), its OpenTelemetry events the request id, LiteLLM the message id. Events linked by
any shared id, directly or through a third event, are one request. Of each such group the event
from the most trusted source is counted:

1. ``otel``: Claude Code's own per-request telemetry, with the final usage;
2. ``litellm_spendlogs`` / ``litellm_payload``: what the proxy saw;
3. ``claude_code_jsonl``: local transcripts, which some versions wrote with partial output counts.

Events with no id are their own group.

Daily aggregates (usage summed per day or hour by a report, not per request) cannot be matched
request by request, so they are counted for a developer-day only when no per-request source
reported anything that day, and then from one aggregate source only, the first of
AGGREGATE_PRECEDENCE present: Claude Code's own metrics, then the Admin API's usage report
(exact token classes), then Claude Code Analytics (no cache-write split), then LiteLLM's daily
export. Activity (sessions, lines of code...) likewise comes from one source per developer-day.
"""
from __future__ import annotations

PRECEDENCE = ("otel", "litellm_spendlogs", "litellm_payload", "claude_code_jsonl")
_RANK = {source: rank for rank, source in enumerate(PRECEDENCE)}
AGGREGATE_PRECEDENCE = ("otel_metrics", "anthropic_usage", "claude_code_analytics", "litellm_daily")
ACTIVITY_PRECEDENCE = ("otel_metrics", "claude_code_analytics")


def preferred_source(present, precedence: tuple[str, ...]) -> str:
    """The first source of ``precedence`` among ``present`` (an unknown one only if nothing else)."""
    present = set(present)
    for source in precedence:
        if source in present:
            return source
    return min(present)


def counted_events(events: list[dict]) -> list[dict]:
    """The events to count: one per request, from the most trusted source that reported it.

    Each event is a dict with at least dedupe_key, source, request_id and message_id.
    """
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        root = node
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[node] != root:  # path compression
            parent[node], node = root, parent[node]
        return root

    def ids(event: dict) -> list[str]:
        found = [f"r:{event['request_id']}"] if event["request_id"] else []
        if event["message_id"]:
            found.append(f"m:{event['message_id']}")
        return found or [f"k:{event['dedupe_key']}"]

    for event in events:
        first, *rest = ids(event)
        for other in rest:
            parent[find(other)] = find(first)
    best: dict[str, dict] = {}
    for event in events:
        group = find(ids(event)[0])
        held = best.get(group)
        if held is None or _order(event) < _order(held):
            best[group] = event
    return list(best.values())


def _order(event: dict) -> tuple[int, str]:
    return _RANK.get(event["source"], len(_RANK)), event["dedupe_key"]
