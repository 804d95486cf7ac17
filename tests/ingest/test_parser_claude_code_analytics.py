"""Claude Code Analytics parser: the docs' records as activity plus per-model usage, actors,
terminal and remote keys, cents as JSON numbers, and hostile input."""
import copy
from decimal import Decimal
import json

import pytest

from costdash.ingest.parsers import HEAD_BYTES, claude_code_analytics, parser_for
from costdash.ingest.parsers.base import ParsedActivity, ParsedAggregate
from tests.ingest.reports import ADMIN_API, page, reasons, run, sample

EXAMPLE = sample("usage_report_claude_code.docs_example.json")["data"][0]


def record(**changes) -> dict:
    rec = copy.deepcopy(EXAMPLE)
    rec.update(changes)
    return {k: v for k, v in rec.items() if v is not None}


def split(records):
    return ([r for r in records if isinstance(r, ParsedActivity)], [r for r in records if isinstance(r, ParsedAggregate)])


def test_the_docs_example_is_one_activity_and_one_usage_per_model():
    path = ADMIN_API / "usage_report_claude_code.docs_example.json"
    assert parser_for(path.read_bytes()[:HEAD_BYTES], str(path)) is claude_code_analytics
    records, rejected, stats = run(claude_code_analytics, path.read_bytes())
    assert not rejected and (stats.lines, stats.usage_lines) == (1, 1)
    [activity], usage = split(records)
    assert (activity.start.isoformat(), activity.width, activity.identity, activity.email) == (
        "2025-08-08T00:00:00+00:00", "1d", "user@emaildomain.com", "user@emaildomain.com")
    assert (activity.sessions, activity.lines_added, activity.lines_removed, activity.commits,
            activity.pull_requests) == (15, 342, 128, 8, 2)
    # Edit decisions over the four tools: accepted 25 + 12 + 5 + 8, rejected 3 + 1 + 2 + 0.
    assert (activity.edits_accepted, activity.edits_rejected) == (50, 6)
    assert activity.detail == {
        "terminal_type": "iTerm.app", "is_remote": False, "customer_type": "api", "subscription_type": "enterprise",
        "tool_actions": {"edit_tool": {"accepted": 25, "rejected": 3}, "multi_edit_tool": {"accepted": 12, "rejected": 1},
                         "notebook_edit_tool": {"accepted": 5, "rejected": 2}, "write_tool": {"accepted": 8, "rejected": 0}},
    }
    assert [(u.raw_model, u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_5m_tokens,
             u.cache_write_1h_tokens, u.cache_split_known, u.reported_cost) for u in usage] == [
        ("claude-opus-5", 45230, 12450, 8790, 0, 2340, False, Decimal("1.86")),  # amount 186 cents
        ("claude-sonnet-5", 23100, 5680, 3420, 0, 890, False, Decimal("0.42")),
    ]
    assert {(u.identity, u.email, u.start, u.width) for u in usage} == {
        ("user@emaildomain.com", "user@emaildomain.com", activity.start, "1d")}
    assert activity.key == "claude_code_analytics:2025-08-08|user_actor:user@emaildomain.com|iTerm.app|local"
    assert usage[0].key == activity.key + "|claude-opus-5"


def test_the_guide_example_without_is_remote_reads_as_local():
    records, rejected, _ = run(claude_code_analytics, (ADMIN_API / "usage_report_claude_code.docs_guide_example.json")
                               .read_bytes())
    assert not rejected
    [activity], [usage] = split(records)
    assert activity.detail["is_remote"] is False and activity.detail["subscription_type"] is None
    assert (activity.edits_accepted, activity.edits_rejected) == (45 + 12 + 8 + 3, 5 + 2 + 1 + 0)
    assert (usage.raw_model, usage.reported_cost) == ("claude-sonnet-4-5-20250929", Decimal("10.25"))
    assert activity.key.endswith("|vscode|local")


def test_an_api_actor_is_its_key_name_and_remote_rows_are_their_own():
    api = record(actor={"type": "api_actor", "api_key_name": "ci-bot"}, is_remote=True, tool_actions={})
    local = record(is_remote=False)
    remote = record(is_remote=True)
    records, rejected, _ = run(claude_code_analytics, json.dumps(page(api, local, remote)))
    assert not rejected
    activities, _ = split(records)
    assert [(a.identity, a.email, a.detail["is_remote"]) for a in activities] == [
        ("ci-bot", "", True), ("user@emaildomain.com", "user@emaildomain.com", False),
        ("user@emaildomain.com", "user@emaildomain.com", True)]
    assert activities[0].edits_accepted == 0
    assert len({r.key for r in records}) == len(records)


def test_a_fractional_cent_estimate_stays_exact_and_a_record_without_models_is_activity_only():
    rec = record(model_breakdown=[{"model": "claude-sonnet-4-6", "tokens": {"input": 1, "output": 2, "cache_read": 0,
                                                                            "cache_creation": 0},
                                   "estimated_cost": {"currency": "USD", "amount": 12.5}}])
    records, _, _ = run(claude_code_analytics, json.dumps(page(rec, record(model_breakdown=[]))))
    activities, [usage] = split(records)
    assert usage.reported_cost == Decimal("0.125") and len(activities) == 2


def test_new_tools_are_summed_too():
    rec = record(tool_actions={"edit_tool": {"accepted": 1, "rejected": 2}, "future_tool": {"accepted": 3}})
    [activity], _ = split(run(claude_code_analytics, json.dumps(page(rec)))[0])
    assert (activity.edits_accepted, activity.edits_rejected) == (4, 2)


def breakdown(**changes) -> list:
    entry = copy.deepcopy(EXAMPLE["model_breakdown"][0])
    entry.update(changes)
    return [entry]


@pytest.mark.parametrize("changes, reason", [
    ({"actor": {"type": "robot"}}, "field actor.type is 'robot', not user_actor or api_actor"),
    ({"actor": {"type": "user_actor", "email_address": "not-an-email"}},
     "field actor.email_address is not an email address: 'not-an-email'"),
    ({"actor": {"type": "api_actor"}}, "field actor.api_key_name is missing"),
    ({"actor": None}, "field actor.type is 'None', not user_actor or api_actor"),
    ({"date": "yesterday"}, "field date is not a time: 'yesterday'"),
    ({"date": None}, "field date is missing"),
    ({"is_remote": "no"}, "field is_remote is not true or false"),
    ({"core_metrics": {"num_sessions": -1}}, "field core_metrics.num_sessions is out of range: -1"),
    ({"core_metrics": {"lines_of_code": {"added": 10**10}}}, "field core_metrics.lines_of_code.added is out of range: 10000000000"),
    ({"tool_actions": {"edit_tool": {"accepted": 1.5}}}, "field tool_actions.edit_tool.accepted is not a whole number: '1.5'"),
    ({"tool_actions": {"edit_tool": 3}}, "field tool_actions.edit_tool is not an object"),
    ({"model_breakdown": {"model": "x"}}, "field model_breakdown is not a list"),
    ({"model_breakdown": breakdown(model=None)}, "field model_breakdown[0].model is missing"),
    ({"model_breakdown": breakdown(tokens=None)}, "field model_breakdown[0].tokens is missing"),
    ({"model_breakdown": breakdown(tokens={"input": -4})}, "field model_breakdown[0].tokens.input is out of range: -4"),
    ({"model_breakdown": breakdown(estimated_cost={"currency": "GBP", "amount": 5})},
     "field model_breakdown[0].estimated_cost.currency is 'GBP': only USD amounts are read"),
    ({"model_breakdown": breakdown(estimated_cost={"currency": "USD", "amount": float("inf")})},
     "field model_breakdown[0].estimated_cost.amount is out of range: inf"),
])
def test_a_bad_record_is_rejected_whole_by_name_and_the_good_one_lands(changes, reason):
    records, rejected, _ = run(claude_code_analytics, json.dumps(page(record(), record(**changes))))
    assert len(split(records)[0]) == 1 and reasons(rejected) == [f"data[1]: {reason}"]


def test_hostile_files_are_refused_with_a_reason():
    for data, reason in {
        b"": "file is empty",
        b'{"data": [{"actor": {"type": "user_actor", "email_address": "a@b.co"}, "date": "\xff"}]}':
            "file is not valid UTF-8 text",
        b'{"data": [5], "core_metrics": 1, "actor": 2}': "data[0]: record is not an object",
    }.items():
        records, rejected, _ = run(claude_code_analytics, data)
        assert not records and reasons(rejected) == [reason]
