"""/metrics: names present, values from a real push and a real import, and who may read it."""
from datetime import timedelta
import json
from pathlib import Path
import re

from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
import pytest

from costdash.alerts.models import Channel, Notification
from costdash.alerts.services import channel_save
from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import IngestToken
from costdash.ingest.services import usage_import
from costdash.ops.heartbeats import BEAT, heartbeat_stamp
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.ingest.transcripts import assistant_line, write_jsonl

GRAFANA = Path(__file__).resolve().parents[2] / "costdash" / "ops" / "grafana" / "costdash.json"
PUSH = "/ingest/transcripts"


@pytest.fixture(autouse=True)
def folder_broker(settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://localhost/"
    settings.CELERY_TASK_DEFAULT_QUEUE = "celery"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path)}
    settings.COSTDASH_METRICS_TOKEN = ""


def scrape(client, **extra) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of one scrape."""
    response = client.get("/metrics", **extra)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def body(*items) -> bytes:
    return b"".join((i if isinstance(i, bytes) else json.dumps(i).encode()) + b"\n" for i in items)


@pytest.mark.django_db
def test_a_push_with_one_bad_record_is_counted_accepted_and_rejected(client, developer_user):
    secret = ingest_token_create(name="laptop", kind=IngestToken.Kind.TRANSCRIPTS,
                                 developer=developer_user.developer)[1]
    before = scrape(client)
    good = [assistant_line(msg=f"msg_{i}", req=f"req_{i}") for i in (1, 2)]
    response = client.post(PUSH, data=body(*good, b"not json"), content_type="application/x-ndjson",
                           headers={"Authorization": f"Bearer {secret}", "X-Costdash-File": "projects/p/s.jsonl"})
    assert response.status_code == 200 and response.json()["new"] == 2 and response.json()["rejected_count"] == 1
    refused = client.post(PUSH, data=body(*good), content_type="application/x-ndjson")  # no token: 401
    assert refused.status_code == 401
    after = scrape(client)
    assert value(after, "costdash_ingest_bodies_accepted_total", kind="transcripts") == 1
    assert value(after, "costdash_ingest_records_new_total", kind="transcripts") == 2
    assert value(after, "costdash_ingest_records_rejected_total", kind="transcripts") == 1
    # Counted by this process (the middleware): one refused body, and each request's time under its URL name.
    key = {"kind": "transcripts", "status": "401"}
    assert value(after, "costdash_ingest_bodies_refused_total", **key) - value(
        before, "costdash_ingest_bodies_refused_total", **key) == 1
    for status in ("2xx", "4xx"):
        key = {"view": "transcripts_push", "method": "POST", "status": status}
        assert value(after, "costdash_http_request_duration_seconds_count", **key) - value(
            before, "costdash_http_request_duration_seconds_count", **key) == 1
    assert not any("/ingest/" in str(labels) for _, labels in after)  # labelled by URL name, never the path


@pytest.mark.django_db
def test_imports_lags_deliveries_heartbeats_and_queue_are_read_from_the_database(client, tmp_path):
    good = [assistant_line(msg=f"msg_{i}", req=f"req_{i}") for i in (1, 2, 3)]
    path = write_jsonl(tmp_path / "files" / "s.jsonl", [*good, "not json", good[0]])  # 3 new, 1 bad, 1 repeat
    batch = usage_import([path], developer_email="ana@example.com")
    assert (batch.status, batch.requests_new, batch.rejected) == ("done", 3, 1)
    channel = channel_save(Channel(kind="webhook", name="ops"), {"url": "https://hooks.example.com/x"})
    for status in ("sent", "sent", "failed", "sending"):
        Notification.objects.create(channel=channel, status=status)
    heartbeat_stamp(BEAT, timezone.now() - timedelta(seconds=50))
    (tmp_path / "1_x.celery.msg").write_bytes(b"{}")
    got = scrape(client)
    assert value(got, "costdash_import_batches", source="claude_code_jsonl", status="done") == 1
    assert value(got, "costdash_import_records_total", source="claude_code_jsonl", outcome="new") == 3
    assert value(got, "costdash_import_records_total", source="claude_code_jsonl", outcome="rejected") == 1
    assert value(got, "costdash_import_lag_seconds") == 0
    # The import marked its one developer-day dirty (the recompute waits for a commit this test never makes).
    assert value(got, "costdash_rollup_dirty_days") == 1 and 0 < value(got, "costdash_rollup_lag_seconds") < 30
    assert value(got, "costdash_alert_deliveries_total", channel_kind="webhook", outcome="sent") == 2
    assert value(got, "costdash_alert_deliveries_total", channel_kind="webhook", outcome="failed") == 1
    assert value(got, "costdash_alert_deliveries_sending", channel_kind="webhook") == 1
    assert 50 <= value(got, "costdash_heartbeat_age_seconds", part="beat") < 80
    assert ("costdash_heartbeat_age_seconds", (("part", "worker"),)) not in got  # never seen: absent
    assert value(got, "costdash_celery_queue_depth", queue="celery") == 1
    assert value(got, "costdash_metrics_source_up", source="database") == 1
    assert value(got, "costdash_metrics_source_up", source="broker") == 1
    daily_cost_recompute_dirty()
    got = scrape(client)
    assert value(got, "costdash_rollup_dirty_days") == 0 and value(got, "costdash_rollup_lag_seconds") == 0


@pytest.mark.django_db
def test_without_a_token_only_this_host_reads_metrics(client):
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    # Through a reverse proxy on this host: the proxy is the loopback address, the client is not.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    assert client.get("/metrics", headers={"Forwarded": "for=203.0.113.9"}).status_code == 403


@pytest.mark.django_db
def test_with_a_token_only_its_bearer_reads_metrics(client, settings, admin_user):
    settings.COSTDASH_METRICS_TOKEN = "metrics-" + "k" * 32
    assert client.get("/metrics").status_code == 401  # loopback is not enough any more
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    client.force_login(admin_user)
    response = client.get("/metrics")  # nor is a session, even an admin's
    assert response.status_code == 401 and response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    good = {"Authorization": f"Bearer {settings.COSTDASH_METRICS_TOKEN}"}
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3", headers=good).status_code == 200


@pytest.mark.django_db
def test_the_grafana_dashboard_charts_only_metrics_that_exist(client):
    dashboard = json.loads(GRAFANA.read_text())
    assert dashboard["title"] and dashboard["uid"] and dashboard["schemaVersion"] >= 36
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len(panels) >= 8 and len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    exposed = {name for name, _ in scrape(client)} | {  # families that appear once there is data
        "costdash_ingest_bodies_refused_total", "costdash_ingest_bodies_accepted_total",
        "costdash_ingest_records_new_total", "costdash_ingest_records_rejected_total", "costdash_import_batches",
        "costdash_import_records_total", "costdash_alert_deliveries_total", "costdash_alert_deliveries_sending",
        "costdash_heartbeat_age_seconds", "costdash_received_bodies_waiting"}
    used = set()
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            used |= set(re.findall(r"costdash_[a-z_]+", target["expr"]))
    assert used and used <= exposed, used - exposed
    for needed in ("costdash_ingest_records_rejected_total", "costdash_import_lag_seconds", "costdash_rollup_lag_seconds",
                   "costdash_celery_queue_depth", "costdash_alert_deliveries_total",
                   "costdash_http_request_duration_seconds_bucket", "costdash_received_lag_seconds"):
        assert needed in used
