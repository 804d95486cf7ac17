"""Cache writes without a 5m/1h split, split again from the source's own cost (rollups.split),
through real imports: OTel metrics over POST /v1/metrics, a Claude Code Analytics page and a
LiteLLM daily export through usage_import; a price change after import; a cost no split explains.

Rates per MTok: Sonnet 4.6 / 4.5 input 3, 5m write 3.75, 1h write 6, read 0.30, output 15;
Haiku 4.5 input 1, 5m 1.25, 1h 2, read 0.10, output 5.
"""
from datetime import date
from decimal import Decimal as D
import json

import pytest

from costdash.accounts.models import OrgSettings
from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import ImportBatch, IngestToken
from costdash.ingest.services import usage_events_reprice, usage_import
from costdash.pricing.models import ModelPrice
from costdash.pricing.services import rate_table_invalidate
from costdash.rollups.models import DailyCost, DeveloperDay, SplitRecovery
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.ingest.otlp_metrics import body, monotonic_sum, nanos, point
from tests.ingest.reports import csv_text, page, write
from tests.ingest.test_parser_litellm_daily import HEADER, daily

pytestmark = pytest.mark.django_db
SONNET, HAIKU = "claude-sonnet-4-6", "claude-haiku-4-5"
DAY, NEXT = date(2026, 5, 4), date(2026, 5, 5)
ANA = "ana@example.com"

# Per-request truth. Sonnet on 2026-05-04, in two export intervals:
#   r1: 1,000 in, 2,000 out, 10,000 read, 4,000 5m      = 3,000 + 30,000 + 3,000 + 15,000 = 51,000 µ$
#   r2:   500 in, 1,000 out, 20,000 read, 6,000 1h      = 1,500 + 15,000 + 6,000 + 36,000 = 58,500 µ$
#   day: 1,500 in, 3,000 out, 30,000 read, 4,000 5m + 6,000 1h = $0.1095
#   (all-1h, today's rule: 4,500 + 45,000 + 9,000 + 60,000 = $0.1185)
# Haiku on 2026-05-05: 200 in, 400 out, 5,000 read, 3,000 5m + 1,000 1h
#   = 200 + 2,000 + 500 + 3,750 + 2,000 = 8,450 µ$ = $0.00845
SONNET_TRUTH, HAIKU_TRUTH = D("0.1095"), D("0.00845")


@pytest.fixture(autouse=True)
def utc_org(db):
    org = OrgSettings.get()
    org.time_zone = "UTC"
    org.save()


@pytest.fixture
def token(db):
    return ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]


def interval(model, time, *, input, output, read, writes, cost):
    """One export interval's token and cost points for one model, as Claude Code sends them."""
    return body(
        monotonic_sum("claude_code.token.usage",
                      point(input, time, model=model, type="input"), point(output, time, model=model, type="output"),
                      point(read, time, model=model, type="cacheRead"),
                      point(writes, time, model=model, type="cacheCreation")),
        monotonic_sum("claude_code.cost.usage", point(cost, time, model=model)),
    )


def post_metrics(client, token, *bodies):
    for data in bodies:
        response = client.post("/v1/metrics", data=json.dumps(data), content_type="application/json",
                               headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.content
    daily_cost_recompute_dirty()


def claude_code_metrics(client, token):
    # Claude Code adds each request's cost to its counter as a double: 0.051 + 0.0585 in floats.
    post_metrics(
        client, token,
        interval(SONNET, nanos(0), input=1000, output=2000, read=10000, writes=4000, cost=0.051),
        interval(SONNET, nanos(60), input=500, output=1000, read=20000, writes=6000, cost=0.0585),
        interval(HAIKU, nanos(86_400), input=200, output=400, read=5000, writes=4000, cost=0.002 + 0.00645),
    )


def row(model, day):
    return DailyCost.objects.get(developer__email=ANA, model=model, day=day)


def test_otel_metrics_alone_price_each_day_and_model_as_the_requests_did(client, token):
    claude_code_metrics(client, token)
    sonnet, haiku = row(SONNET, DAY), row(HAIKU, NEXT)
    assert (sonnet.cost, sonnet.cache_write_5m_tokens, sonnet.cache_write_1h_tokens) == (SONNET_TRUTH, 4000, 6000)
    assert (haiku.cost, haiku.cache_write_5m_tokens, haiku.cache_write_1h_tokens) == (HAIKU_TRUTH, 3000, 1000)
    assert (sonnet.cache_split, sonnet.split_bound_tokens, sonnet.source) == ("recovered", 0, "otel_metrics")
    assert (sonnet.input_tokens, sonnet.output_tokens, sonnet.cache_read_tokens) == (1500, 3000, 30000)
    recovery = SplitRecovery.objects.get(day=DAY, model=SONNET)
    assert (recovery.method, recovery.write_5m, recovery.write_1h, recovery.reason) == ("recovered", 4000, 6000, "")
    assert recovery.reported_cost == D("0.1095") and recovery.cost == SONNET_TRUTH
    assert DeveloperDay.objects.get(day=DAY).cache_split == "recovered"


def test_a_price_change_reprices_the_recovered_tokens_not_the_old_reported_cost(client, token):
    claude_code_metrics(client, token)
    # From 2026-05-01 Sonnet 4.6 writes cost $4 (5m) and $8 (1h). At the recovered 4,000 / 6,000:
    # 4,500 + 45,000 + 9,000 + 4,000x4 + 6,000x8 = 58,500 + 16,000 + 48,000 = $0.1225.
    # (Solving the old $0.1095 at the new rates would give 7,250 5m writes and $0.1095.)
    ModelPrice.objects.create(model=SONNET, effective_from=date(2026, 5, 1), input=3, cache_write_5m=4,
                              cache_write_1h=8, cache_read=D("0.3"), output=15)
    rate_table_invalidate()
    usage_events_reprice([SONNET])
    daily_cost_recompute_dirty()
    sonnet = row(SONNET, DAY)
    assert (sonnet.cost, sonnet.cache_write_5m_tokens, sonnet.cache_split) == (D("0.1225"), 4000, "recovered")
    assert row(HAIKU, NEXT).cost == HAIKU_TRUTH


def test_new_data_for_the_day_solves_again(client, token):
    claude_code_metrics(client, token)
    # r3, later that day: 100 in, 0 out, 0 read, 2,000 5m = 300 + 7,500 = 7,800 µ$.
    post_metrics(client, token, interval(SONNET, nanos(120), input=100, output=0, read=0, writes=2000, cost=0.0078))
    sonnet = row(SONNET, DAY)
    assert (sonnet.cost, sonnet.cache_write_5m_tokens, sonnet.cache_write_1h_tokens) == (D("0.1173"), 6000, 6000)


def test_a_reported_cost_no_split_explains_keeps_the_rule_and_says_why(client, token):
    # A 20% discount: $0.0876 is below the all-5m $0.096.
    post_metrics(client, token, interval(SONNET, nanos(0), input=1500, output=3000, read=30000, writes=10000,
                                         cost=0.0876))
    sonnet = row(SONNET, DAY)
    assert (sonnet.cost, sonnet.cache_write_1h_tokens, sonnet.cache_split) == (D("0.1185"), 10000, "assumed")
    reason = SplitRecovery.objects.get().reason
    assert "below the all-5-minute cost $0.096" in reason
    assert DeveloperDay.objects.get(day=DAY).cache_split == "assumed"


def test_metrics_without_cache_writes_stay_exact(client, token):
    post_metrics(client, token, interval(SONNET, nanos(0), input=1000, output=2000, read=0, writes=0, cost=0.033))
    assert (row(SONNET, DAY).cost, row(SONNET, DAY).cache_split) == (D("0.033"), "")
    assert not SplitRecovery.objects.exists()


def test_analytics_whole_cents_give_a_split_within_their_bound(tmp_path):
    # Truth: example A's tokens plus 8,000 5m + 12,000 1h writes = 0.3414 + 0.03 + 0.072 = $0.4434;
    # reported as 44 cents. all-1h 0.4614: x = (0.4614 - 0.44) / 0.00000225 = 9,511.1 -> 9,511,
    # ± 0.005 / 0.00000225 = 2,222 tokens; priced 0.4614 - 9,511 x 0.00000225 = 0.44000025.
    record = {
        "date": "2026-05-04T00:00:00Z", "actor": {"type": "user_actor", "email_address": ANA},
        "organization_id": "0f3c2b1a-1111-4222-8333-444455556666", "customer_type": "api", "terminal_type": "vscode",
        "core_metrics": {"num_sessions": 1, "lines_of_code": {"added": 1, "removed": 0}, "commits_by_claude_code": 0,
                         "pull_requests_by_claude_code": 0},
        "tool_actions": {},
        "model_breakdown": [{"model": SONNET, "tokens": {"input": 45000, "output": 13000, "cache_read": 38000,
                                                          "cache_creation": 20000},
                             "estimated_cost": {"currency": "USD", "amount": 44}}],
    }
    batch = usage_import([write(tmp_path / "analytics.json", page(record) | {"data": [record]})])
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    daily_cost_recompute_dirty()
    sonnet = row(SONNET, DAY)
    assert (sonnet.cache_write_5m_tokens, sonnet.cache_write_1h_tokens) == (9511, 10489)
    assert (sonnet.cache_split, sonnet.split_bound_tokens) == ("recovered", 2222)
    assert abs(9511 - 8000) <= sonnet.split_bound_tokens
    assert sonnet.cost == D("0.44000025") and abs(sonnet.cost - D("0.4434")) <= D("0.005")


def test_litellm_daily_spend_gives_the_split(tmp_path):
    # Sonnet 4.5: 120 in, 96,000 read, 2,400 5m + 4,000 1h, 1,700 out
    #   = 360 + 28,800 + 9,000 + 24,000 + 25,500 = 87,660 µ$ (the parser's all-5m rule: 78,660).
    data = csv_text(HEADER, [daily(date="2026-05-04", user_id=ANA, user_email=ANA, spend="0.08766")])
    batch = usage_import([write(tmp_path / "daily.csv", data)])
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    daily_cost_recompute_dirty()
    lite = row("claude-sonnet-4-5", DAY)
    assert (lite.cost, lite.cache_write_5m_tokens, lite.cache_write_1h_tokens) == (D("0.08766"), 2400, 4000)
    assert lite.cache_split == "recovered"
