"""Failed calls are errors, never requests (issue 12, finding 1).

The corpus in tests/data/litellm_failed/ was made by LiteLLM's own logging, cost calculator and
SpendLogs builder (make_corpus.py): 7 successful calls and 9 failed ones (429, overloaded, 500,
prompt too long; some retried) in every LiteLLM format. Each format, and the live callback, must
give spend equal to the successful calls' to the cent, requests = successful calls, errors =
failed calls; importing again, or another format of the same calls, changes nothing.
"""
from decimal import Decimal
import json
from pathlib import Path

from django.core.management import call_command
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
import pytest

from costdash.accounts.models import Developer, Identity
from costdash.accounts.services import developer_by_email, identity_assign
from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import FailedCall, ImportBatch, IngestToken, UsageEvent
from costdash.ingest.services import usage_import
from costdash.rollups.models import DailyCost, DailyError, DeveloperDay
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.conftest import SAMPLES
from tests.ingest.transcripts import assistant_line

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).resolve().parents[1] / "data" / "litellm_failed"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
FORMATS = ["spendlogs.csv", "spendlogs.json", "spendlogs_v2.json", "payloads.ndjson"]
CENT = Decimal("0.01")


def _totals() -> dict:
    daily = DailyCost.objects.aggregate(cost=Sum("cost"), requests=Sum("requests"), input=Sum("input_tokens"))
    return {
        "cost": daily["cost"], "requests": daily["requests"], "input": daily["input"],
        "errors": DailyError.objects.aggregate(n=Sum("errors"))["n"],
        "events": UsageEvent.objects.count(), "failed": FailedCall.objects.count(),
        "reported": UsageEvent.objects.aggregate(s=Sum("reported_cost"))["s"],
        "active_days": DeveloperDay.objects.filter(active=True).count(),
    }


def _assert_corpus_counted(totals: dict) -> None:
    spend = Decimal(EXPECTED["spend"])
    assert totals["events"] == totals["requests"] == EXPECTED["successful"]
    assert totals["failed"] == totals["errors"] == EXPECTED["failed"]
    assert totals["reported"].quantize(CENT) == spend.quantize(CENT)  # LiteLLM's own spend, successes only
    assert totals["cost"].quantize(CENT) == spend.quantize(CENT)  # costdash's price of the same tokens
    assert totals["active_days"] == 2  # ana and ben, one day each


@pytest.mark.parametrize("name", FORMATS)
def test_each_format_bills_the_successful_calls_and_counts_the_failed_ones(name, tmp_path):
    batch = usage_import([CORPUS / name])
    assert batch.status == "done", batch.failure
    assert (batch.requests_new, batch.failed_calls, batch.rejected) == (EXPECTED["successful"], EXPECTED["failed"], 0)
    daily_cost_recompute_dirty()
    totals = _totals()
    _assert_corpus_counted(totals)
    by_source = dict(DailyError.objects.values_list("source").annotate(n=Sum("errors")))
    assert by_source == {batch.source: EXPECTED["failed"]}
    # Again, one blank line longer (a new fingerprint, so every row is read again): nothing changes.
    (tmp_path / ("again-" + name)).write_bytes((CORPUS / name).read_bytes() + b"\n")
    again = usage_import([tmp_path / ("again-" + name)])
    assert (again.requests_new, again.failed_calls) == (0, EXPECTED["failed"])
    daily_cost_recompute_dirty()
    assert _totals() == totals


def test_every_format_of_the_same_calls_counts_each_once():
    for name in FORMATS:
        usage_import([CORPUS / name])
    daily_cost_recompute_dirty()
    _assert_corpus_counted(_totals())


def test_the_failed_calls_keep_their_error_and_model():
    usage_import([CORPUS / "spendlogs.csv"])
    errors = dict(FailedCall.objects.values_list("error").annotate(n=Sum(1)).values_list("error", "n"))
    assert errors == {"429 RateLimitError": 4, "500 InternalServerError": 4, "400 ContextWindowExceededError": 1}
    assert set(FailedCall.objects.values_list("model", flat=True)) == {"claude-sonnet-4-5", "claude-haiku-4-5"}


def test_the_live_callback_counts_failures_apart_and_a_repeat_changes_nothing(client):
    secret = ingest_token_create(name="proxy", kind=IngestToken.Kind.LITELLM)[1]
    body = "[" + ",".join((CORPUS / "payloads.ndjson").read_text().splitlines()) + "]"
    auth = {"Authorization": f"Bearer {secret}"}
    answer = client.post("/ingest/litellm", data=body, content_type="application/json", headers=auth).json()
    assert (answer["new"], answer["failed"]) == (EXPECTED["successful"], EXPECTED["failed"])
    assert answer["failed_calls"] == f"{EXPECTED['failed']} failed calls (not billed)"
    daily_cost_recompute_dirty()
    totals = _totals()
    _assert_corpus_counted(totals)
    again = client.post("/ingest/litellm", data=body, content_type="application/json", headers=auth).json()
    assert again["new"] == 0
    daily_cost_recompute_dirty()
    assert _totals() == totals


def test_a_body_of_failures_alone_is_accepted(client):
    secret = ingest_token_create(name="proxy", kind=IngestToken.Kind.LITELLM)[1]
    failures = [line for line in (CORPUS / "payloads.ndjson").read_text().splitlines() if '"failure"' in line]
    response = client.post("/ingest/litellm", data="\n".join(failures), content_type="application/x-ndjson",
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and response.json()["failed"] == len(failures)
    assert not UsageEvent.objects.exists()


def test_a_day_of_failed_calls_only_is_not_an_active_day(tmp_path):
    rows = json.loads((CORPUS / "spendlogs.json").read_text())
    failed = [dict(row, user="cid@example.com") for row in rows if row["status"] == "failure"][:3]
    (tmp_path / "failed.json").write_text(json.dumps(failed))
    usage_import([tmp_path / "failed.json"])
    daily_cost_recompute_dirty()
    assert DailyError.objects.get().errors == 3
    assert not DailyCost.objects.exists() and not DeveloperDay.objects.filter(active=True).exists()


def test_the_import_result_the_sources_table_and_the_developer_page_show_the_failed_calls(
    client, admin_user, capsys
):
    call_command("import_usage", str(CORPUS / "spendlogs.csv"), "--no-progress")
    assert f"failed:     {EXPECTED['failed']} failed calls (not billed)" in capsys.readouterr().out
    batch = ImportBatch.objects.get()
    client.force_login(admin_user)
    page = client.get(reverse("ingest:batch", args=[batch.pk])).content.decode()
    assert f"{EXPECTED['failed']} failed calls (not billed)" in page
    daily_cost_recompute_dirty()
    period = {"since": "2026-11-01", "until": "2026-11-30"}
    overview = client.get(reverse("dashboard:overview"), period).content.decode()
    table = overview[overview.index('id="sources"'):]
    table = table[: table.index("</table>")]
    assert "Failed calls" in table and f'<td class="num">{EXPECTED["failed"]}</td></tr>' in table
    ana = Developer.objects.get(email="ana@example.com")
    page = client.get(reverse("dashboard:developer", args=[ana.pk]), period).content.decode()
    assert 'id="failed-calls"' in page and "4 failed calls (not billed)" in page
    assert "LiteLLM spend logs: 4" in page


def test_the_file_api_status_counts_the_failed_calls(admin_user):
    usage_import([CORPUS / "payloads.ndjson"], user=admin_user)
    batch = ImportBatch.objects.get()
    secret = ingest_token_create(name="files", kind=IngestToken.Kind.FILES, user=admin_user)[1]
    answer = Client().get(f"/ingest/files/{batch.pk}", headers={"Authorization": f"Bearer {secret}"}).json()
    assert answer["failed_calls"] == EXPECTED["failed"]
    assert answer["failed_calls_label"] == f"{EXPECTED['failed']} failed calls (not billed)"


# --- Claude Code OTel: api_error events are errors of source otel ------------------------------------


def _otel_body_with_errors() -> dict:
    """The real 2.1.294 capture (one api_request) with its email set, plus two api_error events
    made from it as Claude Code writes them (no usage; status_code, error, attempt): one with a
    request_id and a numeric status, one without either id."""
    body = json.loads((SAMPLES / "otel" / "a11ign_claude_code_2.1.294_logs_request.json").read_text())
    records = body["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    request = next(r for r in records if r["body"]["stringValue"] == "claude_code.api_request")
    for attr in request["attributes"]:
        if attr["key"] == "user.email":
            attr["value"] = {"stringValue": "ana@example.com"}
    keep = {"user.email", "session.id", "event.timestamp", "event.sequence", "prompt.id", "model", "user.id"}
    base = [a for a in request["attributes"] if a["key"] in keep]

    def error(extra: list) -> dict:
        attrs = [a for a in base if a["key"] != "event.name"] + [
            {"key": "event.name", "value": {"stringValue": "api_error"}}, *extra]
        return {**request, "body": {"stringValue": "claude_code.api_error"}, "attributes": attrs}

    records.append(error([{"key": "request_id", "value": {"stringValue": "req_011CfailedOverloaded1"}},
                          {"key": "status_code", "value": {"intValue": 529}},
                          {"key": "error", "value": {"stringValue": "Overloaded"}},
                          {"key": "attempt", "value": {"intValue": 1}}]))
    records.append(error([{"key": "status_code", "value": {"stringValue": "429"}},
                          {"key": "error", "value": {"stringValue": "rate_limit_error"}},
                          {"key": "attempt", "value": {"intValue": 2}}]))
    return body


def test_otel_api_error_events_are_errors_never_requests(client):
    secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]
    data = json.dumps(_otel_body_with_errors())
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.post("/v1/logs", data=data, content_type="application/json", headers=auth).json() == {}
    daily_cost_recompute_dirty()
    assert UsageEvent.objects.count() == 1 and DailyCost.objects.get().requests == 1
    errors = dict(FailedCall.objects.values_list("key", "error"))
    assert errors.pop("otel:req_011CfailedOverloaded1") == "529 Overloaded"
    assert list(errors.values()) == ["429 rate_limit_error"]
    assert list(DailyError.objects.values_list("source", "errors")) == [("otel", 2)]
    client.post("/v1/logs", data=data, content_type="application/json", headers=auth)  # the exporter retries
    daily_cost_recompute_dirty()
    assert FailedCall.objects.count() == 2 and DailyError.objects.get().errors == 2


def test_otel_api_error_events_in_a_file_are_counted_on_the_import(tmp_path):
    (tmp_path / "logs.json").write_text(json.dumps(_otel_body_with_errors()) + "\n")
    batch = usage_import([tmp_path / "logs.json"])
    assert (batch.requests_new, batch.failed_calls, batch.rejected) == (1, 2, 0)


# --- the other sources: their failed calls are never billed ------------------------------------------


def test_litellm_daily_rows_count_successful_requests_and_skip_days_of_failures_only():
    from costdash.ingest.parsers import litellm_daily
    from tests.ingest.reports import csv_text, run
    from tests.ingest.test_parser_litellm_daily import HEADER, daily

    mixed = daily(api_requests="10", successful_requests="8", failed_requests="2")
    failed_only = daily(model="claude-haiku-4-5", spend="0", completion_tokens="0", api_requests="3",
                        successful_requests="0", failed_requests="3", cache_read_input_tokens="0",
                        cache_creation_input_tokens="0", prompt_tokens="51000")
    older = daily(model="claude-opus-4-5", api_requests="5", successful_requests="", failed_requests="1")
    records, rejected, _ = run(litellm_daily, csv_text(HEADER, [mixed, failed_only, older]), "daily.csv")
    assert not rejected
    assert [(r.raw_model, r.requests) for r in records] == [("claude-sonnet-4-5", 8), ("claude-opus-4-5", 4)]


def test_admin_api_buckets_with_no_usage_bill_nothing(tmp_path):
    """An all-zero bucket (the Admin API lists a model and key with nothing used) is no request
    and no cost, and its day is no active day."""
    from costdash.ingest.parsers import anthropic_usage

    page = {"data": [{"starting_at": "2026-11-03T00:00:00Z", "ending_at": "2026-11-04T00:00:00Z", "results": [{
        "uncached_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "server_tool_use": {"web_search_requests": 0}, "model": "claude-sonnet-4-5", "api_key_id": "apikey_01",
        "workspace_id": None, "service_tier": "standard", "context_window": "0-200k", "inference_geo": None,
    }]}], "has_more": False, "next_page": None}
    (tmp_path / "usage.json").write_text(json.dumps(page))
    assert anthropic_usage.detect((tmp_path / "usage.json").read_bytes(), "usage.json")
    usage_import([tmp_path / "usage.json"])
    identity_assign(Identity.objects.get(external_id="apikey_01"), developer_by_email("ana@example.com"))
    daily_cost_recompute_dirty()
    assert not DailyCost.objects.exists()  # not even a row of zeros: no request, no cost, no source that day
    assert not DeveloperDay.objects.exists()


def test_transcript_api_error_lines_are_no_requests(tmp_path):
    """An isApiErrorMessage line naming a real model (Claude Code's "API Error: 529 Overloaded"),
    beside a real request: only the request is counted."""
    error = {"type": "assistant", "isApiErrorMessage": True, "timestamp": "2026-11-03T09:00:00Z",
             "requestId": "req_err", "sessionId": "s1", "cwd": "/x", "message": {
                 "id": "msg_err", "model": "claude-sonnet-4-5", "role": "assistant",
                 "content": [{"type": "text", "text": "API Error: 529 Overloaded"}],
                 "usage": {"input_tokens": 0, "output_tokens": 0, "cache_read_input_tokens": 0,
                           "cache_creation_input_tokens": 0}}}
    ok = assistant_line(req="req_ok", msg="msg_ok", ts="2026-11-03T09:01:00.000Z")
    (tmp_path / "s1.jsonl").write_text(json.dumps(error) + "\n" + json.dumps(ok) + "\n")
    batch = usage_import([tmp_path / "s1.jsonl"], developer_email="ana@example.com")
    assert batch.requests_new == 1 and list(UsageEvent.objects.values_list("message_id", flat=True)) == ["msg_ok"]


def test_a_csv_parsed_in_parts_by_worker_processes_counts_the_failed_calls_alike(monkeypatch):
    from costdash.ingest import parallel

    monkeypatch.setattr(parallel, "MIN_BYTES_FOR_WORKERS", 0)
    monkeypatch.setattr(parallel, "PART_BYTES", 20_000)  # a few rows a part
    parts, real = [], parallel.parse_csv_parts

    def counted_parts(*args):
        for part in real(*args):
            parts.append(part)
            yield part

    monkeypatch.setattr(parallel, "parse_csv_parts", counted_parts)
    batch = usage_import([CORPUS / "spendlogs.csv"])
    assert len(parts) > 2 and sum(len(part.failures) for part in parts) == EXPECTED["failed"]
    assert (batch.requests_new, batch.failed_calls, batch.rejected) == (EXPECTED["successful"], EXPECTED["failed"], 0)
    daily_cost_recompute_dirty()
    _assert_corpus_counted(_totals())


def test_failed_calls_of_an_unassigned_identity_move_with_it_when_mapped(tmp_path):
    rows = json.loads((CORPUS / "spendlogs.json").read_text())
    failed = [dict(row, user="zed-key-owner") for row in rows if row["status"] == "failure"][:2]
    (tmp_path / "failed.json").write_text(json.dumps(failed))
    usage_import([tmp_path / "failed.json"])
    daily_cost_recompute_dirty()
    assert not DailyError.objects.exists()  # nobody yet: counted on no developer's page
    zed = developer_by_email("zed@example.com")
    identity_assign(Identity.objects.get(external_id="zed-key-owner"), zed)
    daily_cost_recompute_dirty()
    assert list(DailyError.objects.values_list("developer", "errors")) == [(zed.pk, 2)]
