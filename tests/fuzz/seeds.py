"""Real documents to mutate, per parser: the shared sample files where the format has one, and the
parser tests' own builders (made from those samples or from the formats' documentation) where not.

Seeds are small on purpose (a few lines or one page each): a mutation should land on a field the
parser reads, not on a prompt's text.
"""
from __future__ import annotations

import csv
from functools import cache
import io
import json
from pathlib import Path

from tests.fuzz.hostile import Doc

VIEWER = "claude-code-viewer/mock-global-claude-dir/projects/sample-project"
TRANSCRIPTS = (
    f"{VIEWER}/1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl",
    f"{VIEWER}/agent-test-hash-123.jsonl",
    "sniffly/tests/mock-data/-Users-chip-dev-ai-music/ba79134d-b6e9-4867-af0c-6941038c9e4b.jsonl",
    "spotter/4d5611e5-241a-462a-8d15-5122611a9569.jsonl",  # usage nested in agent_progress lines
)
MAX_LINE = 6000  # seed lines are short ones, so edits land on fields rather than prompt text


def transcript_lines(samples: Path, relative: str, limit: int = 4) -> list:
    """Up to ``limit`` short usage lines of a real transcript, as JSON values."""
    lines = []
    with (samples / relative).open("rb") as f:
        for raw in f:
            if b'"usage"' in raw and len(raw) < MAX_LINE:
                lines.append(json.loads(raw))
                if len(lines) == limit:
                    break
    assert lines, f"{relative} has no short usage line"
    return lines


def csv_doc(data: bytes | str) -> Doc:
    text = data.decode() if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text))
    return Doc("csv", header=list(reader.fieldnames), rows=[dict(r) for r in reader])


def _otel_metrics_body() -> dict:
    from tests.ingest.otlp_metrics import CUMULATIVE, body, monotonic_sum, point
    from tests.ingest.test_parser_otel_metrics import COST, LINES, TOKENS

    return body(
        monotonic_sum(LINES, point(12, type="added"), point("7", kind="asInt", type="removed")),
        monotonic_sum(TOKENS, point(1500, model="claude-sonnet-4-6", type="cacheRead", speed="fast")),
        monotonic_sum(TOKENS, point(300, model="claude-sonnet-4-6", type="output")),
        monotonic_sum(COST, point(0.3414, model="claude-sonnet-4-6")),
        monotonic_sum("claude_code.commit.count", point(2), temporality=CUMULATIVE),
        monotonic_sum("claude_code.active_time.total", point(61.5, type="user")),
    )


@cache
def seeds(samples: Path) -> dict[str, list[tuple[str, Doc]]]:
    """parser SOURCE -> [(file name, seed document)]."""
    from tests.ingest import test_parser_anthropic_cost as cost_tests
    from tests.ingest import test_parser_anthropic_usage as usage_tests
    from tests.ingest import test_parser_litellm_daily as daily_tests
    from tests.ingest import test_parser_litellm_payload as payload_tests
    from tests.ingest import test_parser_litellm_spendlogs as spendlogs_tests
    from tests.ingest.reports import csv_text

    admin = samples / "admin-api"
    otel_logs = json.loads((samples / "otel" / "a11ign_claude_code_2.1.294_logs_request.json").read_text())
    spendlog = json.loads((samples / "litellm" / "litellm_spendlog_example_trimmed.json").read_text())
    return {
        "claude_code_jsonl": [(Path(t).name, Doc("jsonl", transcript_lines(samples, t))) for t in TRANSCRIPTS],
        "otel": [("logs.json", Doc("jsonl", [otel_logs]))],
        "otel_metrics": [("metrics.json", Doc("jsonl", [_otel_metrics_body()]))],
        "litellm_spendlogs": [
            ("spendlogs.json", Doc("json", [spendlog])),
            ("spendlogs.csv", csv_doc(spendlogs_tests.csv_bytes([spendlog]))),
        ],
        "litellm_payload": [
            ("payload.json", Doc("json", [payload_tests.record()])),
            ("payload.ndjson", Doc("jsonl", [payload_tests.record(), payload_tests.record(id="second")])),
        ],
        "litellm_daily": [("daily.csv", csv_doc(csv_text(daily_tests.HEADER, [daily_tests.daily()])))],
        "anthropic_usage": [
            ("usage.json", Doc("json", json.loads((admin / "usage_report_messages.docs_example.json").read_text()))),
            ("usage_older.json",
             Doc("json", json.loads((admin / "usage_report_messages.docs_example_older.json").read_text()))),
            ("usage.csv", csv_doc(csv_text(usage_tests.CSV_HEADER, [usage_tests.console_row()]))),
        ],
        "anthropic_cost": [
            ("cost.json", Doc("json", json.loads((admin / "cost_report.docs_example.json").read_text()))),
            ("cost.csv", csv_doc(csv_text(cost_tests.CSV_HEADER, [
                ["2026-05-04", "Claude Sonnet 4.5", "Claude Code", "ana-key", "standard", "≤ 200k",
                 "input_cache_write_1h", "1.25"],
            ]))),
        ],
        "claude_code_analytics": [
            ("claude_code.json",
             Doc("json", json.loads((admin / "usage_report_claude_code.docs_example.json").read_text()))),
            ("claude_code_guide.json",
             Doc("json", json.loads((admin / "usage_report_claude_code.docs_guide_example.json").read_text()))),
        ],
    }
