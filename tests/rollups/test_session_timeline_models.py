"""Model switches against subagents on their own model (rollups.session_timeline, rule 4 and 3)."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from costdash.rollups.session_timeline import MODEL_SWITCH, timeline

OPUS, HAIKU, SONNET = "claude-opus-4-6", "claude-haiku-4-5", "claude-sonnet-4-6"
START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def turns(*spec):
    """(model, context) per turn; the context is all cache reads."""
    return [{"timestamp": START + timedelta(minutes=n), "model": model, "input_tokens": 0,
             "cache_read_tokens": context, "cache_write_5m_tokens": 0, "cache_write_1h_tokens": 0,
             "output_tokens": 10, "cost": Decimal("0.01")} for n, (model, context) in enumerate(spec)]


def switches(rows):
    return [mark.number for mark in timeline(rows).marks if mark.kind == MODEL_SWITCH]


def test_a_run_on_another_model_that_returns_to_the_main_model_is_a_side_thread_not_two_switches():
    rows = turns((OPUS, 10_000), (OPUS, 11_000), (HAIKU, 9_000), (HAIKU, 9_500), (OPUS, 12_000), (OPUS, 13_000))
    found = timeline(rows)
    assert switches(rows) == []
    assert [turn.side for turn in found.turns] == [False, False, True, True, False, False]


def test_a_small_fresh_run_on_another_model_at_the_end_is_a_subagent_not_a_compaction_or_switch():
    rows = turns((OPUS, 50_000), (OPUS, 60_000), (HAIKU, 3_000), (HAIKU, 4_000))
    assert timeline(rows).marks == []


def test_a_model_the_session_keeps_is_a_switch():
    rows = turns((OPUS, 40_000), (OPUS, 42_000), (SONNET, 43_000), (SONNET, 44_000), (SONNET, 45_000))
    assert switches(rows) == [3]
