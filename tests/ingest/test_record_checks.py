"""One bad field never loses its neighbours (issue 11, findings 1 and 4): each hostile record is
rejected with its reason, through a file import (done, not failed), the transcript push and the
live receivers (200 with counts), the good records beside it land, and the org-wide recompute
still runs. And the one table of bounds (parsers/checks.py) matches the model columns."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import json

import pytest

from costdash.accounts.models import Developer, Identity
from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import ActivityRecord, BilledCost, FailedCall, IngestToken, UsageAggregate, UsageEvent
from costdash.ingest.parsers import checks
from costdash.ingest.parsers.base import (
    ParsedActivity,
    ParsedAggregate,
    ParsedBilled,
    ParsedFailure,
    ParsedRequest,
    Rejected,
)
from costdash.ingest.rows import RowBuilder
from costdash.ingest.services import usage_import
from costdash.lib.dates import reporting_day
from costdash.pricing.rates import RateTable
from costdash.rollups.models import DailyCost, DirtyDay
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.ingest.test_parser_litellm_payload import record as litellm_record

from .transcripts import assistant_line, write_jsonl

pytestmark = pytest.mark.django_db
ANA = "ana@example.com"


# --- the table of bounds against the models -------------------------------------------------------


def test_the_table_of_text_widths_is_the_model_columns():
    models = {ParsedRequest: UsageEvent, ParsedAggregate: UsageAggregate, ParsedActivity: ActivityRecord,
              ParsedBilled: BilledCost, ParsedFailure: FailedCall}
    elsewhere = {"identity": Identity._meta.get_field("external_id"), "email": Developer._meta.get_field("email")}
    for kind, widths in checks.COLUMNS.items():
        for name, width in widths.items():
            column = elsewhere.get(name) or models[kind]._meta.get_field(name)
            assert column.max_length == width, (kind.__name__, name)
    for model in (UsageEvent, UsageAggregate, BilledCost, DailyCost):
        assert model._meta.get_field("model").max_length == checks.MODEL_WIDTH
    for model, name in ((UsageEvent, "reported_cost"), (UsageAggregate, "reported_cost"), (BilledCost, "amount")):
        column = model._meta.get_field(name)
        assert checks.MAX_BUCKET_USD < 10 ** (column.max_digits - column.decimal_places)
        assert column.decimal_places == -checks.MONEY_SCALE.as_tuple().exponent
    column = ActivityRecord._meta.get_field("active_seconds")
    assert checks.MAX_SECONDS < 10 ** (column.max_digits - column.decimal_places)


def test_a_record_that_passes_has_a_row_and_a_day_in_every_zone():
    """A checked record never overflows the row builder or the day arithmetic (finding 1)."""
    builder = RowBuilder(batch_id=1, table=RateTable([]), tz_name="Pacific/Kiritimati", copy_text=True)
    for ts in (checks.EARLIEST, checks.latest()):
        request = ParsedRequest(dedupe_key="k", timestamp=ts, raw_model="m" * 120, input_tokens=10**10,
                                output_tokens=10**10, reported_cost=Decimal(10**6))
        assert checks.check(request) is None
        builder.entry(request)
        for zone in ("Pacific/Kiritimati", "Etc/GMT+12", "UTC"):
            reporting_day(ts, zone)


@pytest.mark.parametrize("timestamp", [
    "9999-12-31T23:59:59Z", "9999-12-31T23:00-05:00", "0001-01-01T00:00+05:00", "2022-12-31T23:59:59Z",
])
def test_a_time_outside_the_window_is_refused_by_comparison_alone(timestamp):
    request = ParsedRequest(dedupe_key="k", timestamp=datetime.fromisoformat(timestamp), raw_model="m")
    assert checks.check(request).startswith("field timestamp is out of range")


def test_a_day_ahead_is_allowed_two_are_not():
    now = datetime.now(UTC)
    assert checks.check(ParsedRequest(dedupe_key="k", timestamp=now + timedelta(hours=23), raw_model="m")) is None
    assert checks.check(ParsedRequest(dedupe_key="k", timestamp=now + timedelta(days=2), raw_model="m"))


def test_any_exception_of_one_record_is_a_rejection_naming_its_line():
    def build(item):
        return {}[item]  # a KeyError, as a parser's slip would raise

    assert checks.guarded(build, "x", "f.jsonl", lambda: 7) == Rejected("f.jsonl", 7, "unreadable record (KeyError: 'x')")


# --- through every door -----------------------------------------------------------------------------

HOSTILE = {  # description -> (change to a transcript line, what the reason names)
    "far future": ({"timestamp": "9999-12-31T23:59:59Z"}, "timestamp is out of range"),
    "overflows west": ({"timestamp": "9999-12-31T23:00-05:00"}, "timestamp is out of range"),
    "overflows east": ({"timestamp": "0001-01-01T00:00+05:00"}, "timestamp is out of range"),
    "long model": ({"model": "claude-" + "x" * 130}, "model is too long"),
    "long message id": ({"msg": "msg_" + "x" * 200}, "message_id is too long"),
    "NUL in model": ({"model": "claude-sonnet-4-6\x00"}, "raw_model holds a control character"),
    "cost Infinity": ({"costUSD": "Infinity"}, "costUSD is out of range"),
    "cost 1e30": ({"costUSD": 1e30}, "costUSD is out of range"),
    "cost 1e999999": ({"costUSD": "1e999999"}, "costUSD is out of range"),
    "cost NaN": ({"costUSD": "NaN"}, "costUSD is out of range"),
}


def hostile_line(change: dict, n: int) -> dict:
    change = dict(change)
    cost = change.pop("costUSD", None)
    line = assistant_line(msg=change.pop("msg", f"msg_bad_{n}"), req=f"req_bad_{n}", **{
        k: change.pop(k) for k in ("ts", "model") if k in change})
    line.update(change)
    if cost is not None:
        line["costUSD"] = cost
    return line


def transcript_lines() -> list:
    """A good line, every hostile one, and another good line."""
    bad = [hostile_line(change, n) for n, (change, _) in enumerate(HOSTILE.values())]
    return [assistant_line(msg="msg_good_1", req="req_good_1"), *bad,
            assistant_line(msg="msg_good_2", req="req_good_2", ts="2026-03-03T10:00:00.000Z")]


def assert_each_reason(reasons: list[str]):
    assert len(reasons) == len(HOSTILE)
    for (_, says), reason in zip(HOSTILE.values(), reasons, strict=True):
        assert says in reason, (says, reason)


def test_hostile_transcript_lines_are_rejected_in_an_import_that_ends_done(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", transcript_lines())
    batch = usage_import([path], developer_email=ANA)
    assert batch.status == "done" and not batch.failure
    assert batch.rejected == len(HOSTILE)
    assert [e["line"] for e in batch.errors] == list(range(2, 2 + len(HOSTILE)))
    assert_each_reason([e["reason"] for e in batch.errors])
    assert sorted(UsageEvent.objects.values_list("message_id", flat=True)) == ["msg_good_1", "msg_good_2"]
    daily_cost_recompute_dirty()  # the org-wide recompute runs: nothing stored can overflow it
    assert DailyCost.objects.count() == 2 and not DirtyDay.objects.exists()


@pytest.fixture
def push_secret(developer_user):
    return ingest_token_create(name="laptop", kind=IngestToken.Kind.TRANSCRIPTS, developer=developer_user.developer)[1]


def test_hostile_transcript_lines_pushed_answer_200_with_counts(client, push_secret):
    body = "".join(json.dumps(line) + "\n" for line in transcript_lines())
    response = client.post("/ingest/transcripts", data=body, content_type="application/x-ndjson",
                           headers={"Authorization": f"Bearer {push_secret}", "X-Costdash-File": "s.jsonl"})
    assert response.status_code == 200
    answer = response.json()
    assert answer["new"] == 2 and answer["rejected_count"] == len(HOSTILE)
    assert_each_reason([r["reason"] for r in answer["rejected"]])
    assert UsageEvent.objects.count() == 2
    daily_cost_recompute_dirty()
    assert DailyCost.objects.count() == 2


@pytest.fixture
def otlp_body(samples):
    """The real api_request capture, with a person (its identity fields are redacted)."""
    data = json.loads((samples / "otel" / "a11ign_claude_code_2.1.294_logs_request.json").read_text())
    for record in data["resourceLogs"][0]["scopeLogs"][0]["logRecords"]:
        _set_attribute(record, "user.email", {"stringValue": ANA})
    return data


def _set_attribute(record: dict, key: str, value: dict | None) -> None:
    record["attributes"] = [a for a in record["attributes"] if a["key"] != key]
    if value is not None:
        record["attributes"].append({"key": key, "value": value})


@pytest.mark.parametrize("key, value, says", [
    ("event.timestamp", {"stringValue": "9999-12-31T23:59:59Z"}, "timestamp is out of range"),
    ("event.timestamp", {"stringValue": "9999-12-31T23:00-05:00"}, "event.timestamp is out of range"),
    ("event.timestamp", {"stringValue": "0001-01-01T00:00+05:00"}, "event.timestamp is out of range"),
    ("model", {"stringValue": "claude-" + "x" * 130}, "model is too long"),
    ("model", {"stringValue": "claude\x00"}, "raw_model holds a control character"),
    ("cost_usd", {"doubleValue": 1e30}, "cost_usd is out of range"),
    ("request_id", {"stringValue": "req_" + "x" * 200}, "request_id is too long"),
])
def test_a_hostile_otlp_event_is_partial_success_and_its_neighbour_lands(client, otlp_body, key, value, says):
    secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]
    good = otlp_body["resourceLogs"][0]
    bad = json.loads(json.dumps(good))
    record = bad["scopeLogs"][0]["logRecords"][0]
    record.pop("timeUnixNano", None)
    _set_attribute(record, "request_id", {"stringValue": "req_bad"})
    if key == "event.timestamp":
        record["timeUnixNano"] = "0"
    _set_attribute(record, key, value)
    otlp_body["resourceLogs"] = [bad, good]
    response = client.post("/v1/logs", data=json.dumps(otlp_body), content_type="application/json",
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedLogRecords"] == 1 and says in partial["errorMessage"]
    assert list(UsageEvent.objects.values_list("dedupe_key", flat=True)) == ["otel:req_011CfpSK96NthX9vPNsW9X2b"]
    daily_cost_recompute_dirty()
    assert DailyCost.objects.exists()


@pytest.mark.parametrize("changes, says", [
    ({"startTime": datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()}, "timestamp is out of range"),
    ({"model": "claude-" + "x" * 130}, "model is too long"),
    ({"model": "claude-sonnet-4-5\x00"}, "raw_model holds a control character"),
    ({"response_cost": 1e30}, "response_cost is out of range"),
    ({"response_cost": None, "hidden_params": {"response_cost": "NaN"}}, "response_cost is out of range"),
])
def test_a_hostile_litellm_callback_record_is_rejected_and_its_neighbour_lands(client, changes, says):
    secret = ingest_token_create(name="proxy", kind=IngestToken.Kind.LITELLM)[1]
    body = json.dumps([litellm_record(id="bad-1", **changes), litellm_record()])
    response = client.post("/ingest/litellm", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    answer = response.json()
    assert answer["new"] == 1 and len(answer["rejected"]) == 1 and says in answer["rejected"][0]["reason"]
    assert UsageEvent.objects.count() == 1
    daily_cost_recompute_dirty()
    assert DailyCost.objects.exists()
