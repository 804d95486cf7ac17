"""A request reported by several sources is counted once, from the most trusted one."""
from decimal import Decimal
import json

import pytest

from costdash.ingest.live import ingest_token_create, live_records_write
from costdash.ingest.models import IngestToken, UsageEvent
from costdash.ingest.parsers import otel_logs
from costdash.ingest.services import usage_import
from costdash.rollups.dedupe import counted_events
from costdash.rollups.models import DailyCost
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.ingest.transcripts import assistant_line, write_jsonl


def ev(key, source, req="", msg=""):
    return {"dedupe_key": key, "source": source, "request_id": req, "message_id": msg}


def test_one_request_seen_by_three_sources_is_counted_once_from_otel():
    events = [
        ev("cc:msg_1", "claude_code_jsonl", req="req_1", msg="msg_1"),
        ev("litellm:msg_1", "litellm_spendlogs", msg="msg_1"),  # linked to otel only through the transcript
        ev("otel:req_1", "otel", req="req_1"),
    ]
    assert [e["dedupe_key"] for e in counted_events(events)] == ["otel:req_1"]


def test_litellm_beats_a_transcript_and_unrelated_requests_all_count():
    events = [
        ev("cc:msg_1", "claude_code_jsonl", req="req_1", msg="msg_1"),
        ev("litellm:msg_1", "litellm_spendlogs", msg="msg_1"),
        ev("cc:msg_2", "claude_code_jsonl", req="req_2", msg="msg_2"),
        ev("otel:h:abc", "otel"),  # no ids: its own request
    ]
    assert sorted(e["dedupe_key"] for e in counted_events(events)) == ["cc:msg_2", "litellm:msg_1", "otel:h:abc"]


@pytest.mark.django_db
def test_otel_and_transcript_of_the_same_request_make_one_rollup_request(tmp_path, samples):
    body = json.loads((samples / "otel" / "a11ign_claude_code_2.1.294_logs_request.json").read_text())
    for resource in body["resourceLogs"]:
        for scope in resource["scopeLogs"]:
            for record in scope["logRecords"]:
                for attr in record.get("attributes", []):
                    if attr["key"] == "user.email":
                        attr["value"] = {"stringValue": "ana@example.com"}
    token = ingest_token_create(name="t", kind=IngestToken.Kind.OTLP)[0]
    live_records_write(token, "otel", otel_logs.requests_from_logs_body(body, "test"))
    otel_event = UsageEvent.objects.get()
    # The same request as the transcript wrote it: same request id, same day.
    line = assistant_line(msg="msg_same", req=otel_event.request_id, model="claude-haiku-5-5", input_tokens=2,
                          output=3, read=9179, ts=otel_event.timestamp.isoformat())
    usage_import([write_jsonl(tmp_path / "s.jsonl", [line])], developer_email="ana@example.com")
    assert UsageEvent.objects.count() == 2  # both kept: each source's record stays for reconciliation
    daily_cost_recompute_dirty()
    row = DailyCost.objects.get()
    assert (row.requests, row.source, row.output_tokens) == (1, "otel", 4)
    assert row.cost == otel_event.cost and row.cost > Decimal(0)
