"""The parser registry: one module per source, each with SOURCE, detect() and parse().

Adding a source = one module + one line here + one test file. Order matters where two formats
could claim the same file: the more specific comes first, and Claude Code transcripts (any
.jsonl of JSON objects no other parser claims) come last.
"""
from types import ModuleType

from . import (
    anthropic_cost,
    anthropic_usage,
    claude_code_analytics,
    claude_code_jsonl,
    litellm_daily,
    litellm_payload,
    litellm_spendlogs,
    otel_logs,
    otel_metrics,
)

PARSERS: dict[str, ModuleType] = {
    otel_metrics.SOURCE: otel_metrics,  # a collector file of both signals is its first body's
    otel_logs.SOURCE: otel_logs,
    litellm_spendlogs.SOURCE: litellm_spendlogs,
    litellm_payload.SOURCE: litellm_payload,
    # Daily reports, told apart by their own keys or CSV columns; cost before usage, since a
    # usage page whose head holds only empty buckets is known by lacking the cost fields.
    anthropic_cost.SOURCE: anthropic_cost,
    anthropic_usage.SOURCE: anthropic_usage,
    claude_code_analytics.SOURCE: claude_code_analytics,
    litellm_daily.SOURCE: litellm_daily,
    claude_code_jsonl.SOURCE: claude_code_jsonl,
}
HEAD_BYTES = 8 * 1024  # enough for every format's telltale keys or header row


def parser_for(head: bytes, name: str) -> ModuleType | None:
    """The parser that recognises a file from its name and first bytes, or None."""
    for parser in PARSERS.values():
        if parser.detect(head, name):
            return parser
    return None
