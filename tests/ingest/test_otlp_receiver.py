"""The OTLP/HTTP receiver: Claude Code's telemetry straight in, authenticated, deduplicated."""
import copy
import gzip
import json

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
import pytest

from costdash.ingest.live import ingest_token_create, ingest_token_revoke
from costdash.ingest.models import IngestToken, UsageEvent
from costdash.ingest.receivers import MAX_BODY
from costdash.rollups.models import DailyCost

pytestmark = pytest.mark.django_db


@pytest.fixture
def body(samples):
    data = json.loads((samples / "otel" / "a11ign_claude_code_2.1.294_logs_request.json").read_text())
    # The capture's identity fields are redacted: give the request a person.
    for resource in data["resourceLogs"]:
        for scope in resource["scopeLogs"]:
            for record in scope["logRecords"]:
                for attr in record.get("attributes", []):
                    if attr["key"] == "user.email":
                        attr["value"] = {"stringValue": "ana@example.com"}
    return data


@pytest.fixture
def token():
    return ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]


def post(client, token, data, content_type="application/json", **headers):
    return client.post("/v1/logs", data=data, content_type=content_type,
                       headers={"Authorization": f"Bearer {token}", **headers})


def test_an_api_request_event_becomes_a_priced_event_once(client, body, token, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, token, json.dumps(body))
    assert first.status_code == 200 and first.json() == {}
    event = UsageEvent.objects.get()
    assert event.dedupe_key == "otel:req_011CfpSK96NthX9vPNsW9X2b"
    assert (event.input_tokens, event.output_tokens, event.cache_read_tokens) == (2, 4, 9179)
    assert event.cache_write_1h_tokens == 13356 and event.developer.email == "ana@example.com"
    # Haiku 5.5 list price with the writes as 1h writes equals Claude Code's own figure (samples README)
    assert str(event.cost.normalize()) == "0.00276519"
    assert DailyCost.objects.get().requests == 1
    post(client, token, json.dumps(body))  # the exporter retries: nothing is counted twice
    assert UsageEvent.objects.count() == 1
    assert IngestToken.objects.get().requests == 2 and IngestToken.objects.get().events_new == 1


def test_protobuf_and_gzip_bodies_are_accepted(client, body, token):
    message = json_format.ParseDict(body, logs_service_pb2.ExportLogsServiceRequest())
    response = post(client, token, gzip.compress(message.SerializeToString()), "application/x-protobuf",
                    **{"Content-Encoding": "gzip"})
    assert response.status_code == 200 and response["Content-Type"] == "application/x-protobuf"
    assert UsageEvent.objects.get().output_tokens == 4


def test_bad_records_are_reported_as_partial_success_and_good_ones_land(client, body, token):
    bad = copy.deepcopy(body)
    record = bad["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    for attr in record["attributes"]:
        if attr["key"] == "output_tokens":
            attr["value"] = {"stringValue": "many"}
    good = copy.deepcopy(body)
    bad["resourceLogs"] += good["resourceLogs"]
    for attr in bad["resourceLogs"][1]["scopeLogs"][0]["logRecords"][0]["attributes"]:
        if attr["key"] == "request_id":
            attr["value"] = {"stringValue": "req_second"}
    response = post(client, token, json.dumps(bad))
    assert response.status_code == 200
    assert response.json()["partialSuccess"]["rejectedLogRecords"] == 1
    assert "output_tokens" in response.json()["partialSuccess"]["errorMessage"]
    assert list(UsageEvent.objects.values_list("dedupe_key", flat=True)) == ["otel:req_second"]


@pytest.mark.parametrize(
    "auth, expected",
    [({}, 401), ({"Authorization": "Bearer cdi_wrong"}, 401), ({"Authorization": "Basic x"}, 401)],
)
def test_without_a_valid_token_nothing_is_accepted(client, body, auth, expected):
    response = client.post("/v1/logs", data=json.dumps(body), content_type="application/json", headers=auth)
    assert response.status_code == expected and not UsageEvent.objects.exists()


def test_revoked_and_wrong_kind_tokens_are_refused(client, body):
    token, secret = ingest_token_create(name="old", kind=IngestToken.Kind.OTLP)
    ingest_token_revoke(token)
    assert post(client, secret, json.dumps(body)).status_code == 401
    litellm_secret = ingest_token_create(name="proxy", kind=IngestToken.Kind.LITELLM)[1]
    assert post(client, litellm_secret, json.dumps(body)).status_code == 401


@pytest.mark.parametrize(
    "data, content_type, headers, status, says",
    [
        ("{not json", "application/json", {}, 400, "not valid JSON"),
        ("[1, 2]", "application/json", {}, 400, "JSON object"),
        ("x", "text/plain", {}, 415, "not OTLP"),
        (b"\x08\xff\xff", "application/x-protobuf", {}, 400, "protobuf"),
        (b"not gzip", "application/json", {"Content-Encoding": "gzip"}, 400, "gzip"),
        ("{}", "application/json", {"Content-Encoding": "br"}, 415, "Content-Encoding"),
    ],
)
def test_malformed_bodies_get_a_clear_4xx(client, token, data, content_type, headers, status, says):
    response = post(client, token, data, content_type, **headers)
    assert response.status_code == status and says in response.json()["error"]


def test_oversized_and_bomb_bodies_are_refused(client, token):
    assert post(client, token, b"{" + b" " * MAX_BODY + b"}").status_code == 413
    bomb = gzip.compress(b" " * (60 * 1024 * 1024))  # 60 MB of spaces in about 60 KB
    response = post(client, token, bomb, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413 and "inflates" in response.json()["error"]


def test_metrics_are_acknowledged_so_exporters_do_not_retry(client, token):
    response = client.post("/v1/metrics", data="{}", content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json() == {}
    assert client.get("/v1/logs").status_code == 405


def test_a_body_accepted_while_the_broker_is_down_is_kept_and_processed_by_the_sweep(client, body, token):
    """Nothing listens on port 1: with a broker configured the receiver stores the body and answers 200
    at once, and queueing its processing fails. The body waits in the database; the beat's sweep (run
    here directly, tasks in-process again) queues it, it becomes the event and its dirty day, and the
    recompute builds the rollup."""
    from costdash.celery import app
    from costdash.ingest.models import ReceivedBody
    from costdash.ingest.received import received_sweep
    from costdash.rollups.models import DirtyDay
    from costdash.rollups.tasks import daily_cost_recompute_dirty
    from tests.celery_workers import use_broker_settings

    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_publish_retry")}
    use_broker_settings(task_always_eager=False, broker_url="redis://127.0.0.1:1/0", task_publish_retry=False)
    try:
        response = post(client, token, json.dumps(body))
    finally:
        use_broker_settings(**saved)
    assert response.status_code == 200 and response.json() == {}
    assert ReceivedBody.objects.get().state == "pending" and not UsageEvent.objects.exists()
    assert received_sweep().waiting == 1
    stored = ReceivedBody.objects.get()
    assert (stored.state, stored.records, stored.rejected, stored.attempts) == ("done", 1, 0, 1)
    assert UsageEvent.objects.count() == 1 and DirtyDay.objects.count() == 1 and not DailyCost.objects.exists()
    daily_cost_recompute_dirty()
    assert DailyCost.objects.get().requests == 1 and not DirtyDay.objects.exists()
