"""DailyDimensionCost: the same requests as DailyCost, counted once, split by dimensions; its sums
per (developer, day, model, source) equal DailyCost's exactly; the monthly report's chargeback
breakdowns each add up to the month's total."""
from collections import defaultdict
from datetime import date
from decimal import Decimal
import json

import orjson
import pytest

from costdash.accounts.models import Identity, Team
from costdash.accounts.services import identity_assign
from costdash.chargeback.models import ChargebackRule, DailyDimensionCost
from costdash.chargeback.rollup import aggregate_sums, apportion
from costdash.chargeback.selectors import AWAITING, charge_dimensions
from costdash.ingest.services import usage_import
from costdash.reports.selectors import month_scope, monthly_report
from costdash.rollups.models import DailyCost
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.conftest import SAMPLES
from tests.factories import DeveloperFactory
from tests.ingest.reports import bucket, page, write
from tests.ingest.test_parser_litellm_payload import record
from tests.ingest.transcripts import assistant_line, write_jsonl

FIGURES = ("cost", "requests", "unpriced_requests", "input_tokens", "output_tokens", "cache_write_5m_tokens",
           "cache_write_1h_tokens", "cache_read_tokens", "web_search_requests")
ANA = "alice@example.com"
OTLP = SAMPLES / "otel" / "a11ign_claude_code_2.1.294_logs_request.json"
MONTH = date(2026, 3, 1)


def line(msg, ts, cwd, **usage):
    return assistant_line(msg=msg, req=f"req_{msg}", ts=ts, **usage) | {"cwd": cwd}


def payload(msg, ts_epoch, tags, alias):
    r = record(id=msg, startTime=ts_epoch, endTime=ts_epoch + 1, request_tags=tags)
    r["metadata"]["user_api_key_alias"] = alias
    return r


def usage_result(workspace, key, **tokens):
    return {"account_id": None, "api_key_id": key, "workspace_id": workspace, "model": "claude-sonnet-4-5",
            "uncached_input_tokens": tokens.get("input", 100), "output_tokens": tokens.get("output", 50),
            "cache_read_input_tokens": 0, "cache_creation": {"ephemeral_5m_input_tokens": 0,
                                                             "ephemeral_1h_input_tokens": 0},
            "server_tool_use": {"web_search_requests": 0}, "service_tier": "standard",
            "context_window": "0-200k", "inference_geo": "global"}


@pytest.fixture
def month_of_usage(db, tmp_path):
    """March 2026 for Ana (team Platform, cost center CC-PLAT): transcripts in three directories of
    two repositories; LiteLLM payloads with tags and key aliases, one of them the same request as a
    transcript line (a mixed-source day, counted once); Admin API usage by workspace and key on a
    day with nothing else."""
    team = Team.objects.create(name="Platform", cost_center="CC-PLAT")
    ana = DeveloperFactory(email=ANA, team=team)
    lines = [
        line("msg_1", "2026-03-02T10:00:00Z", "/home/ana/src/payments", output=120),
        line("msg_2", "2026-03-02T11:00:00Z", "/home/ana/src/payments/api", output=333, write_5m=777),
        line("msg_3", "2026-03-02T12:00:00Z", "/home/ana/src/web", output=7),
        line("msg_4", "2026-03-03T09:00:00Z", "/home/ana/src/web", output=45),  # also sent through LiteLLM
        line("msg_5", "2026-03-03T09:30:00Z", "/home/ana/src/payments/.worktrees/x", output=1),
    ]
    transcript = write_jsonl(tmp_path / "t" / "s.jsonl", lines)
    day3 = 1772528400  # 2026-03-03T09:00:00Z
    payloads = [payload("msg_4", day3, ["claude-code", "team-a"], "ana-key"),
                payload("msg_p2", day3 + 60, ["team-a", "claude-code"], "ana-key"),
                payload("msg_p3", day3 + 120, [], "ci-key")]
    usage = page(bucket("2026-03-05T00:00:00Z", "2026-03-06T00:00:00Z",
                        usage_result("wrkspc_A", "apikey_1", input=1000), usage_result("wrkspc_B", "apikey_1"),
                        usage_result("wrkspc_B", "apikey_2", output=9)))
    assert usage_import([transcript], developer_email=ANA).status == "done"
    batch = usage_import([write(tmp_path / "p.json", json.dumps(payloads)), write(tmp_path / "u.json", usage)])
    assert batch.status == "done", batch.errors
    identity_assign(Identity.objects.get(external_id="apikey_1"), ana)
    identity_assign(Identity.objects.get(external_id="apikey_2"), ana)
    daily_cost_recompute_dirty()
    return ana


def sums(rows, key_fields):
    out = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for row in rows:
        key = tuple(getattr(row, f) for f in key_fields)
        for f in FIGURES:
            out[key][f] += getattr(row, f)
    return dict(out)


def test_dimension_rows_add_up_to_daily_cost_exactly(month_of_usage):
    keys = ("developer_id", "day", "model", "source")
    daily = {tuple(getattr(r, f) for f in keys): {f: getattr(r, f) for f in FIGURES} for r in DailyCost.objects.all()}
    assert len(daily) >= 4
    assert sums(DailyDimensionCost.objects.all(), keys) == daily


def test_repositories_tags_keys_and_workspaces_are_the_row_dimensions(month_of_usage):
    found = {(r.day.day, r.source, r.dimensions): r.requests for r in DailyDimensionCost.objects.all()}
    assert found[(2, "claude_code_jsonl", '{"project":"/home/ana/src/payments"}')] == 2  # two directories, one repo
    assert found[(2, "claude_code_jsonl", '{"project":"/home/ana/src/web"}')] == 1
    # Day 3 mixes sources: msg_4 counts once, from LiteLLM (more trusted), with its tags.
    tagged = [(d, n) for (day, source, d), n in found.items() if day == 3 and source == "litellm_payload"]
    assert sorted(tagged) == [
        ('{"api_key":"ana-key","project":"unknown project","tags":["claude-code","team-a"],"team":"platform"}', 1),
        ('{"api_key":"ana-key","project":"unknown project","tags":["team-a","claude-code"],"team":"platform"}', 1),
        ('{"api_key":"ci-key","project":"unknown project","team":"platform"}', 1),
    ]
    assert found[(3, "claude_code_jsonl", '{"project":"/home/ana/src/payments"}')] == 1  # msg_5 only
    assert sum(n for (day, *_), n in found.items() if day == 3) == 4
    workspaces = sorted(orjson.loads(d)["workspace"] for day, _, d in found if day == 5)
    assert workspaces == ["wrkspc_A", "wrkspc_B", "wrkspc_B"]


def test_recompute_twice_gives_the_same_rows(month_of_usage):
    before = sorted((r.day, r.model, r.source, r.dimensions, r.cost) for r in DailyDimensionCost.objects.all())
    DailyCost.objects.none()
    from costdash.rollups.services import daily_cost_recompute
    daily_cost_recompute(month_of_usage.pk, {date(2026, 3, d) for d in range(1, 32)})
    after = sorted((r.day, r.model, r.source, r.dimensions, r.cost) for r in DailyDimensionCost.objects.all())
    assert after == before


def test_monthly_breakdowns_each_add_up_to_the_total(month_of_usage):
    ChargebackRule.objects.create(position=1, dimension="tag", pattern="team-*", cost_center="CC-A")
    ChargebackRule.objects.create(position=2, dimension="project", pattern="*/payments", cost_center="CC-PAY")
    report = monthly_report(MONTH, today=date(2026, 4, 15))
    total = report.totals["spend"]
    assert total > 0
    breakdowns = report.chargeback
    for name in ("projects", "api_keys", "workspaces", "tags", "litellm_teams", "cost_centers"):
        lines = breakdowns[name]
        assert sum(line["spend"] for line in lines) == total, name
        assert sum(line["requests"] for line in lines) == report.totals["requests"], name
        assert all(line["name"] != AWAITING for line in lines)
    tags = {line["name"]: line["requests"] for line in breakdowns["tags"]}
    assert tags == {"claude-code, team-a": 2, "(no tags)": report.totals["requests"] - 2}
    centers = {line["name"]: line["requests"] for line in breakdowns["cost_centers"]}
    # Tagged team-*: CC-A (first rule); payments transcripts: CC-PAY; the rest: the team's CC-PLAT.
    assert centers == {"CC-A": 2, "CC-PAY": 3, "CC-PLAT": report.totals["requests"] - 5}


def test_otel_resource_attribute_breakdown_adds_up(month_of_usage, tmp_path):
    body = json.loads(OTLP.read_text())
    body["resourceLogs"][0]["resource"]["attributes"].append({"key": "cost_center", "value": {"stringValue": "CC-9"}})
    for scope in body["resourceLogs"][0]["scopeLogs"]:
        for rec in scope["logRecords"]:
            rec["timeUnixNano"] = "1772701200000000000"  # 2026-03-05T09:00Z
            for attr in rec["attributes"]:
                if attr["key"] == "user.email":
                    attr["value"] = {"stringValue": ANA}
    assert usage_import([write(tmp_path / "otel.json", body)]).status == "done"
    daily_cost_recompute_dirty()
    report = monthly_report(MONTH, today=date(2026, 4, 15))
    otel = report.chargeback["otel"]
    assert set(otel) == {"cost_center", "org.pane", "org.role"}
    for lines in otel.values():
        assert sum(line["spend"] for line in lines) == report.totals["spend"]
    assert {line["name"] for line in otel["cost_center"]} == {"CC-9", "(not set)"}
    rule = ChargebackRule.objects.create(position=1, dimension="otel", attribute="cost_center", pattern="CC-9",
                                         cost_center="Research")
    centers = {ln["name"] for ln in monthly_report(MONTH, today=date(2026, 4, 15)).chargeback["cost_centers"]}
    assert "Research" in centers and rule.pk


def test_charge_dimensions_of_each_charge_row(month_of_usage):
    found = charge_dimensions(month_scope(MONTH))
    assert set(found) == set(DailyCost.objects.values_list("developer_id", "day", "model", "source"))
    day2 = found[(month_of_usage.pk, date(2026, 3, 2), "claude-sonnet-4-6", "claude_code_jsonl")]
    assert day2 == {"project": ["/home/ana/src/payments", "/home/ana/src/web"], "cost_center": ["CC-PLAT"]}


def test_missing_dimension_rows_show_as_awaiting_recompute_not_a_wrong_total(month_of_usage):
    DailyDimensionCost.objects.filter(day=date(2026, 3, 5)).delete()
    report = monthly_report(MONTH, today=date(2026, 4, 15))
    lines = report.chargeback["projects"]
    assert sum(line["spend"] for line in lines) == report.totals["spend"]
    assert AWAITING in {line["name"] for line in lines}


def test_apportion_is_exact_by_largest_remainder():
    assert apportion(Decimal("1.000000000001"), [1, 1, 1]) == [
        Decimal("0.333333333334"), Decimal("0.333333333334"), Decimal("0.333333333333")]
    assert sum(apportion(Decimal("0.07"), [Decimal("0.01"), Decimal("0.02"), 0])) == Decimal("0.07")
    assert apportion(10, [0, 0]) == [5, 5]
    assert apportion(7, [3, 1]) == [5, 2]


def test_a_recovered_split_group_is_apportioned_to_its_parts_exactly():
    member = {"requests": None, "cost": Decimal("0.10"), "input_tokens": 0, "output_tokens": 0,
              "cache_read_tokens": 0, "web_search_requests": 0, "cache_write_5m_tokens": 0,
              "cache_write_1h_tokens": 1000}
    group = {"local_day": date(2026, 3, 5), "model": "m", "source": "otel_metrics", "total_cost": Decimal("0.0731"),
             "sum_cache_write_5m_tokens": 1001, "members": [
                 member | {"workspace": "A", "api_key": ""},
                 member | {"workspace": "B", "api_key": "", "cache_write_1h_tokens": 2000, "cost": Decimal("0.2")},
             ]}
    parts = aggregate_sums([group])
    assert sum(p["cost"] for p in parts) == Decimal("0.0731")
    assert sum(p["cache_write_5m_tokens"] for p in parts) == 1001
    assert [p["cache_write_5m_tokens"] + p["cache_write_1h_tokens"] for p in parts] == [1000, 2000]
