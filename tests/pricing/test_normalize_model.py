"""normalize_model: every id form a source writes maps to one rate-table key, and nothing fuzzy."""
from datetime import date

import pytest

from costdash.pricing.rates import RateTable, normalize_model

TABLE = RateTable.from_file()


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5"),  # trailing -YYYYMMDD
        ("claude-sonnet-4-20250514", "claude-sonnet-4"),
        ("claude-3-opus-20240229", "claude-3-opus"),
        ("claude-sonnet-4-5-20250929[1m]", "claude-sonnet-4-5"),  # Claude Code's 1M-context marker
        ("claude-opus-4-6[1m]", "claude-opus-4-6"),
        ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),  # Vertex
        ("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet"),  # Vertex, versioned
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),  # Bedrock regional
        ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("au.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"),
        ("jp.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("apac.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"),
        ("global.anthropic.claude-opus-4-5-20251101-v1:0", "claude-opus-4-5"),
        ("anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku"),  # Bedrock, no region
        ("us.anthropic.claude-opus-4-6-v1", "claude-opus-4-6"),  # Bedrock, undated
        ("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),  # LiteLLM
        ("bedrock/converse/us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("vertex_ai/claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
        ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5"),
        ("openrouter/anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"),  # dotted version
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "claude-sonnet-4-5",
        ),
        ("Claude-Sonnet-4-5-20250929", "claude-sonnet-4-5"),  # case
        ("  claude-sonnet-4-6\n", "claude-sonnet-4-6"),  # whitespace
        ("claude-sonnet-4-0", "claude-sonnet-4"),  # Anthropic's documented aliases
        ("claude-3-7-sonnet-latest", "claude-3-7-sonnet"),
        ("claude-sonnet-5", "claude-sonnet-5"),  # already normal: unchanged
        ("claude-haiku-5-5", "claude-haiku-5-5"),
        ("<synthetic>", "<synthetic>"),
        ("", ""),
    ],
)
def test_normalize_model(raw, expected):
    assert normalize_model(raw) == expected


@pytest.mark.parametrize("raw", ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-opus-4-6[1m]", "<synthetic>"])
def test_normalize_is_idempotent(raw):
    once = normalize_model(raw)
    assert normalize_model(once) == once


def test_every_rate_key_is_already_normal():
    for model in TABLE.known_models():
        assert normalize_model(model) == model


def test_sonnet_5_is_not_sonnet_4_5():
    # Exact match only: a suffix or prefix match would price Sonnet 5 at Sonnet 4.5's $3 input.
    day = date(2026, 9, 1)
    assert normalize_model("claude-sonnet-5") != "claude-sonnet-4-5"
    assert TABLE.lookup("claude-sonnet-5", day, "standard", 0).input == 2
    assert TABLE.lookup("claude-sonnet-4-5", day, "standard", 0).input == 3
    assert TABLE.lookup("claude-sonnet-5-20261001", day, "standard", 0).input == 2


@pytest.mark.parametrize(
    "raw", ["claude-sonnet-4-7", "claude-opus-6", "claude-sonnet-4-5-beta", "sonnet", "gpt-4o", "claude", "<synthetic>"]
)
def test_near_misses_stay_unknown(raw):
    assert TABLE.lookup(raw, date(2026, 6, 1), "standard", 0) is None
