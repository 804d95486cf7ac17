"""Claude Code OTel metrics end to end: POST /v1/metrics (JSON, protobuf, gzip), delta and cumulative
temporality against stored series state, DailyActivity and the fallback DailyCost, collector files
imported twice, and two bodies of one series counted at once."""
from datetime import date
from decimal import Decimal
import gzip
import json
import threading

from django.db import connection
from django.db.models import Sum
import pytest

from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import ActivityRecord, IngestToken, MetricSeries, UsageAggregate
from costdash.ingest.receivers import MAX_BODY
from costdash.ingest.services import usage_import
from costdash.rollups.models import DailyActivity, DailyCost
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.ingest.otlp_metrics import CUMULATIVE, START, body, monotonic_sum, nanos, point, protobuf

DAY = date(2026, 5, 4)  # nanos() times fall on it at 12:00 UTC; the org's zone is UTC
LINES = "claude_code.lines_of_code.count"
SONNET = "claude-sonnet-4-6"


@pytest.fixture
def token(db):
    return ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]


def post(client, token, data, content_type="application/json", path="/v1/metrics", **headers):
    if isinstance(data, dict):
        data = json.dumps(data)
    return client.post(path, data=data, content_type=content_type,
                       headers={"Authorization": f"Bearer {token}", **headers})


def activity() -> DailyActivity:
    daily_cost_recompute_dirty()
    return DailyActivity.objects.get(developer__email="ana@example.com", day=DAY)


def lines(value, time=None, start=START, temporality=CUMULATIVE, session="s-1") -> dict:
    return body(monotonic_sum(LINES, point(value, time, start, type="added", session__id=session),
                              temporality=temporality))


# --- the receiver ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_activity_metric_reaches_daily_activity(client, token):
    data = body(
        monotonic_sum("claude_code.session.count", point(1, start_type="fresh"), point(1, nanos(600))),
        monotonic_sum(LINES, point(120, type="added"), point(30, type="removed"), point(8, nanos(60), type="added")),
        monotonic_sum("claude_code.commit.count", point(2)),
        monotonic_sum("claude_code.pull_request.count", point(1)),
        monotonic_sum("claude_code.code_edit_tool.decision",
                      point(5, decision="accept", tool_name="Edit"), point(1, decision="accept", tool_name="Write"),
                      point(2, decision="reject", tool_name="Edit")),
        monotonic_sum("claude_code.active_time.total", point(61.5, type="user"), point(300.25, type="cli")),
    )
    response = post(client, token, data)
    assert response.status_code == 200 and response.json() == {}
    day = activity()
    assert (day.source, day.sessions, day.lines_added, day.lines_removed) == ("otel_metrics", 2, 128, 30)
    assert (day.commits, day.pull_requests, day.edits_accepted, day.edits_rejected) == (2, 1, 6, 2)
    assert day.active_seconds == Decimal("361.750")  # 61.5 + 300.25
    assert IngestToken.objects.get().requests == 1 and IngestToken.objects.get().events_new == 12  # points


@pytest.mark.django_db
def test_protobuf_and_gzip_bodies_land_as_json_ones_do(client, token):
    data = lines(12, temporality=1)
    response = post(client, token, gzip.compress(protobuf(data)), "application/x-protobuf",
                    **{"Content-Encoding": "gzip"})
    assert response.status_code == 200 and response["Content-Type"] == "application/x-protobuf"
    assert response.content == b""  # an empty ExportMetricsServiceResponse: full success
    stored = ActivityRecord.objects.get()
    post(client, token, data)  # the same point as JSON: the same key, nothing new
    assert list(ActivityRecord.objects.values_list("key", "lines_added")) == [(stored.key, 12)]


@pytest.mark.django_db
def test_delta_points_are_summed_and_a_resent_batch_adds_nothing(client, token):
    first = lines(10, nanos(0), temporality=1)
    second = lines(15, nanos(60), temporality=1)
    for data in (first, second, first, second):  # the exporter retries both batches
        assert post(client, token, data).status_code == 200
    assert ActivityRecord.objects.count() == 2 and activity().lines_added == 25


@pytest.mark.django_db
def test_cumulative_series_counts_increases_restarts_and_nothing_twice(client, token):
    for value, minute in ((10, 1), (25, 2), (40, 3)):
        post(client, token, lines(value, nanos(60 * minute)))
    assert activity().lines_added == 40  # 10 + 15 + 15
    restarted = "1777895000000000000"  # a new process: a new start time, counting from 0 again
    post(client, token, lines(5, nanos(240), start=restarted))
    assert activity().lines_added == 45
    post(client, token, lines(25, nanos(120)))  # an old point, re-sent late
    post(client, token, lines(5, nanos(240), start=restarted))  # the last one again
    post(client, token, lines(5, nanos(180), start=restarted))  # older than the last point seen
    assert activity().lines_added == 45
    post(client, token, lines(3, nanos(300), start=restarted))  # smaller on the same start: a restart too
    assert activity().lines_added == 48
    series = MetricSeries.objects.get()
    assert (series.start_time_unix_nano, series.last_value) == (int(restarted), 3)


@pytest.mark.django_db
def test_token_and_cost_metrics_count_only_on_days_without_api_request_events(client, token):
    usage = body(
        monotonic_sum("claude_code.token.usage",
                      point(1000, model=SONNET, type="input"), point(2000, model=SONNET, type="output"),
                      point(10000, model=SONNET, type="cacheRead"), point(4000, model=SONNET, type="cacheCreation")),
        monotonic_sum("claude_code.cost.usage", point(0.06, model=SONNET)),
    )
    assert post(client, token, usage).status_code == 200
    assert UsageAggregate.objects.filter(source="otel_metrics").aggregate(Sum("reported_cost"))["reported_cost__sum"] \
        == Decimal("0.06")
    daily_cost_recompute_dirty()
    row = DailyCost.objects.get(developer__email="ana@example.com", day=DAY)
    # Sonnet 4.6 per MTok: input $3, output $15, cache read $0.30, 1h write $6 (unsplit writes count as 1h):
    # (1000*3 + 2000*15 + 10000*0.30 + 4000*6) / 1e6 = (3000 + 30000 + 3000 + 24000) / 1e6 = $0.06
    assert (row.source, row.model, row.cost) == ("otel_metrics", SONNET, Decimal("0.06"))
    assert (row.input_tokens, row.output_tokens, row.cache_read_tokens, row.cache_write_1h_tokens) == (
        1000, 2000, 10000, 4000)

    logs = {"resourceLogs": [{"scopeLogs": [{"scope": {"name": "com.anthropic.claude_code.events"}, "logRecords": [{
        "timeUnixNano": nanos(30), "body": {"stringValue": "claude_code.api_request"},
        "attributes": [{"key": k, "value": v} for k, v in {
            "user.email": {"stringValue": "ana@example.com"}, "request_id": {"stringValue": "req_1"},
            "model": {"stringValue": SONNET}, "input_tokens": {"intValue": 10}, "output_tokens": {"intValue": 20},
            "cache_read_tokens": {"intValue": 30}, "cache_creation_tokens": {"intValue": 40},
        }.items()],
    }]}]}]}
    assert post(client, token, logs, path="/v1/logs").status_code == 200
    daily_cost_recompute_dirty()
    row = DailyCost.objects.get(developer__email="ana@example.com", day=DAY)  # the metrics are no longer counted
    # (10*3 + 20*15 + 30*0.30 + 40*6) / 1e6 = (30 + 300 + 9 + 240) / 1e6 = $0.000579
    assert (row.source, row.requests, row.cost) == ("otel", 1, Decimal("0.000579"))


@pytest.mark.django_db
def test_bad_points_are_a_partial_success_and_good_ones_land(client, token):
    data = lines(10, temporality=1)
    data["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["sum"]["dataPoints"].append(
        point("many", nanos(60), type="added"))
    response = post(client, token, data)
    assert response.status_code == 200
    assert response.json() == {"partialSuccess": {
        "rejectedDataPoints": 1, "errorMessage": f"{LINES}: field asDouble is not a finite number: 'many'"}}
    assert activity().lines_added == 10 and IngestToken.objects.get().rejected == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, content_type, headers, status, says",
    [
        ("{not json", "application/json", {}, 400, "not valid JSON"),
        ("[1]", "application/json", {}, 400, "JSON object"),
        (b"\x08\xff\xff", "application/x-protobuf", {}, 400, "protobuf"),
        (b"not gzip", "application/json", {"Content-Encoding": "gzip"}, 400, "gzip"),
        ("x", "text/plain", {}, 415, "not OTLP"),
        (b"{" + b" " * MAX_BODY + b"}", "application/json", {}, 413, "limit"),
    ],
)
def test_malformed_and_oversized_bodies_get_a_clear_4xx(client, token, data, content_type, headers, status, says):
    response = post(client, token, data, content_type, **headers)
    assert response.status_code == status and says in response.json()["error"]


@pytest.mark.django_db
def test_without_a_valid_token_nothing_is_stored(client):
    response = client.post("/v1/metrics", data=json.dumps(lines(10)), content_type="application/json")
    assert response.status_code == 401 and not ActivityRecord.objects.exists() and not MetricSeries.objects.exists()
    litellm = ingest_token_create(name="proxy", kind=IngestToken.Kind.LITELLM)[1]
    assert post(client, litellm, lines(10)).status_code == 401


# --- collector files --------------------------------------------------------------------------


@pytest.mark.django_db
def test_collector_file_imported_twice_changes_nothing(tmp_path):
    bodies = [lines(10, nanos(60)), lines(25, nanos(120)), lines(7, nanos(90), temporality=1, session="s-2"),
              body(monotonic_sum("claude_code.commit.count", point(1, nanos(90))))]
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps(b) + "\n" for b in bodies))
    first = usage_import([path])
    assert (first.status, first.source, first.records_new, first.rejected) == ("done", "otel_metrics", 4, 0)
    assert (activity().lines_added, activity().commits) == (32, 1)  # cumulative 10 then +15; delta 7
    again = usage_import([path])
    assert again.files_unchanged == 1 and again.records_new == again.records_updated == 0
    path.write_text(path.read_text() + "\n")  # another fingerprint: the file is read again
    grown = usage_import([path])
    assert grown.files_read == 1 and grown.records_new == grown.records_updated == 0
    assert grown.records_unchanged == 2  # the delta and commit points; the cumulative ones add nothing
    assert (activity().lines_added, activity().commits, ActivityRecord.objects.count()) == (32, 1, 4)


# --- concurrency ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_bodies_of_one_series_at_once_count_each_increase_once():
    """Each round starts a series at 10, then posts two later points of it from two threads at the
    same moment (25 and 40), then the same point (50) from both. Whichever commits first, the
    series has added 50 in all (its last value); without the row lock both threads would count
    from 10 (10 + 15 + 30 + 10 + 10 = 75)."""
    from django.test import Client

    secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]
    rounds = 5
    for n in range(rounds):
        session = f"s-{n}"  # each round its own series
        assert post(Client(), secret, lines(10, nanos(60), session=session)).status_code == 200
        for pair in [(lines(25, nanos(120), session=session), lines(40, nanos(180), session=session)),
                     (lines(50, nanos(240), session=session), lines(50, nanos(240), session=session))]:
            barrier, statuses = threading.Barrier(2), []

            def send(data, barrier=barrier, statuses=statuses):
                try:
                    barrier.wait()
                    statuses.append(post(Client(), secret, data).status_code)
                finally:
                    connection.close()

            threads = [threading.Thread(target=send, args=(data,)) for data in pair]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert statuses == [200, 200]
    total = ActivityRecord.objects.aggregate(Sum("lines_added"))["lines_added__sum"]
    assert total == rounds * 50
