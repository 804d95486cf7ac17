"""The parser registry: one module per source, each with detect() and parse().

Adding a source = one module + one line here + one test file.
"""
from . import claude_code_jsonl

PARSERS = {
    claude_code_jsonl.SOURCE: claude_code_jsonl,
}
