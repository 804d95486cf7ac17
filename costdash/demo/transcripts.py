"""Realistic Claude Code transcript trees, written deterministically from a seed.

Two entry points:

- ``write_demo_team(root, end=…, days=60, seed=7)``: one tree per demo developer
  (``root/<slug>/projects/<encoded-cwd>/<sessionId>.jsonl`` plus ``<sessionId>/subagents/agent-*.jsonl``),
  with per-developer spend profiles; returns the ``DemoDeveloper`` list.
- ``write_corpus(root, target_bytes=…, seed=1)``: a benchmark tree of thousands of files with a
  realistic size distribution; returns ``CorpusStats`` (ground truth for checking an import).

What the files look like (shaped like real Claude Code 2.1.x files in shared/samples/spotter):

- each API response spans several ``assistant`` lines, one content block each (thinking, text,
  tool_use), sharing ``message.id`` and ``requestId``; ``output_tokens`` grows from copy to copy
  and the last copy has the final count;
- ``cache_read_input_tokens`` grows through a session (each request re-reads the conversation),
  cache writes carry the ``cache_creation`` 5m/1h split (mostly 1h), plus ``service_tier``,
  ``inference_geo`` and ``speed``;
- ``user`` tool results carry file contents (most of the bytes in the benchmark corpus), with
  ``file-history-snapshot``, ``summary``, ``system``, ``queue-operation`` and hook ``progress`` lines;
- subagent (Task) runs get their own file, and some of their requests are echoed into the parent
  as ``progress`` lines with ``data.type == "agent_progress"`` (same ids and usage); compaction
  runs are ``agent-acompact-*`` files;
- now and then a ``<synthetic>`` assistant line with zero usage (an aborted request).
"""
from .corpus import CorpusStats, write_corpus
from .team import RATES, UNKNOWN_MODEL, DemoDeveloper, usage_cost, write_demo_team

__all__ = ["CorpusStats", "DemoDeveloper", "RATES", "UNKNOWN_MODEL", "usage_cost", "write_corpus", "write_demo_team"]
