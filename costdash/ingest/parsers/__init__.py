"""The parser registry: one module per source, each with SOURCE, detect() and parse().

Adding a source = one module + one line here + one test file. Order matters where two formats
could claim the same file: the more specific comes first, and Claude Code transcripts (any
.jsonl of JSON objects no other parser claims) come last.
"""
import functools
from importlib import import_module
from types import ModuleType

# Module names, in the order parser_for tries them.
_ORDER = (
    "otel_metrics",  # a collector file of both signals is its first body's
    "otel_logs",
    "litellm_spendlogs",
    "litellm_payload",
    # Daily reports, told apart by their own keys or CSV columns; cost before usage, since a
    # usage page whose head holds only empty buckets is known by lacking the cost fields.
    "anthropic_cost",
    "anthropic_usage",
    "claude_code_analytics",
    "litellm_daily",
    "claude_code_jsonl",
)
HEAD_BYTES = 8 * 1024  # enough for every format's telltale keys or header row


@functools.cache
def _registry() -> dict[str, ModuleType]:
    """Every parser by its SOURCE, in _ORDER: imported when a file's format is first asked for, so a process
    that needs one parser (a parse worker reading transcripts, an import of unchanged files) loads only it."""
    modules = [import_module(f"{__name__}.{name}") for name in _ORDER]
    return {module.SOURCE: module for module in modules}


def __getattr__(name: str):
    if name == "PARSERS":  # PARSERS: dict[str, ModuleType], every parser by its SOURCE
        return _registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parser_for(head: bytes, name: str) -> ModuleType | None:
    """The parser that recognises a file from its name and first bytes, or None."""
    for parser in _registry().values():
        if parser.detect(head, name):
            return parser
    return None
