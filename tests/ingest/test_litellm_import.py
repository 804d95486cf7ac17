"""LiteLLM usage end to end: a SpendLogs file through the import, and the callback receiver."""
from decimal import Decimal
import json

from django.core.management import call_command
import pytest

from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import IngestToken, UsageEvent
from costdash.rollups.models import DailyCost
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.ingest.test_parser_litellm_payload import record

pytestmark = pytest.mark.django_db
# The sample row: 12 input, 48,000 reads, 3,200 5m writes, 850 output on Sonnet 4.5 (samples README):
# 12 × 3 + 48,000 × 0.30 + 3,200 × 3.75 + 850 × 15 per MTok = 0.039186, equal to LiteLLM's own spend.
SAMPLE_COST = Decimal("0.039186")


def test_a_spendlogs_file_imports_with_its_people_and_both_costs(samples, capsys):
    call_command("import_usage", str(samples / "litellm" / "litellm_spendlog_example_trimmed.json"), "--no-progress")
    event = UsageEvent.objects.get()
    assert (event.source, event.dedupe_key, event.message_id) == ("litellm_spendlogs", "litellm:msg_01XyzExample",
                                                                  "msg_01XyzExample")
    assert (event.input_tokens, event.cache_read_tokens, event.cache_write_5m_tokens, event.output_tokens) == (
        12, 48_000, 3_200, 850)
    assert event.cost == SAMPLE_COST and event.reported_cost == Decimal("0.039186")
    assert event.developer.email == "alice@example.com"  # the `user` column, an email: linked automatically
    assert "LiteLLM spend logs" in capsys.readouterr().out
    daily_cost_recompute_dirty()
    assert DailyCost.objects.get().source == "litellm_spendlogs"


def test_the_callback_receiver_stores_payloads_once_with_spendlogs(client, samples):
    call_command("import_usage", str(samples / "litellm" / "litellm_spendlog_example_trimmed.json"), "--no-progress")
    secret = ingest_token_create(name="proxy", kind=IngestToken.Kind.LITELLM)[1]
    body = json.dumps([record()])  # the same request as the SpendLogs row, as LiteLLM's logger posts it
    response = client.post("/ingest/litellm", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and response.json()["new"] == 0
    assert UsageEvent.objects.count() == 1  # same id in both: counted once


def test_the_callback_receiver_refuses_without_a_token_or_with_junk(client):
    assert client.post("/ingest/litellm", data="[]", content_type="application/json").status_code == 401
    secret = ingest_token_create(name="proxy", kind=IngestToken.Kind.LITELLM)[1]
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.post("/ingest/litellm", data="", content_type="application/json", headers=auth).status_code == 400
    junk = client.post("/ingest/litellm", data='[{"id": 5}]', content_type="application/json", headers=auth)
    assert junk.status_code == 400 and not UsageEvent.objects.exists()
