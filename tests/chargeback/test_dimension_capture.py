"""Each source's chargeback dimensions are captured from its real format: LiteLLM key alias, team
and tags (SpendLogs JSON and CSV, logging payloads), OTel resource attributes (the real capture),
the repository of a transcript's working directory; and held to the record check's bounds."""
import csv
import io
import json

import orjson
import pytest

from costdash.ingest.parsers import litellm_payload, litellm_spendlogs, otel_logs
from costdash.ingest.parsers.base import ParsedRequest, ParseStats, Rejected
from costdash.ingest.parsers.dimensions import UNKNOWN_PROJECT, canonical, repository_of
from costdash.ingest.rows import COLUMNS, RowBuilder, copy_line
from costdash.pricing.rates import RateTable
from tests.conftest import SAMPLES
from tests.ingest.test_parser_litellm_payload import record

SPENDLOG = json.loads((SAMPLES / "litellm" / "litellm_spendlog_example_trimmed.json").read_text())
OTLP = SAMPLES / "otel" / "a11ign_claude_code_2.1.294_logs_request.json"
ALICE = {"api_key": "alice-claude-code", "team": "platform", "tags": ["claude-code"]}


def parsed(module, data: bytes, name: str):
    items = list(module.parse(io.BytesIO(data), name, ParseStats()))
    return [i for i in items if isinstance(i, ParsedRequest)], [i for i in items if isinstance(i, Rejected)]


def test_spendlogs_json_row_gives_key_alias_team_alias_and_tags():
    requests, rejected = parsed(litellm_spendlogs, json.dumps([SPENDLOG]).encode(), "spend.json")
    assert not rejected
    assert requests[0].dimensions == ALICE


def test_spendlogs_csv_row_reads_tags_from_the_json_cell_and_falls_back_to_the_hashed_key_and_team_id():
    row = {**SPENDLOG, "metadata": json.dumps({**SPENDLOG["metadata"], "user_api_key_alias": None,
                                               "user_api_key_team_alias": None}),
           "request_tags": json.dumps(["claude-code", "payments", "claude-code"])}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writeheader()
    writer.writerow({k: v if isinstance(v, str) else json.dumps(v) for k, v in row.items()})
    requests, rejected = parsed(litellm_spendlogs, out.getvalue().encode(), "spend.csv")
    assert not rejected, rejected
    assert requests[0].dimensions == {"api_key": SPENDLOG["api_key"], "team": "team-platform-uuid",
                                      "tags": ["claude-code", "payments"]}


@pytest.mark.parametrize("shape", ["array", "ndjson"])
def test_logging_payloads_give_the_same_dimensions(shape):
    data = json.dumps([record()]) if shape == "array" else json.dumps(record()) + "\n"
    requests, rejected = parsed(litellm_payload, data.encode(), "payloads.json")
    assert not rejected
    assert requests[0].dimensions == ALICE


def test_payload_without_key_team_or_tags_has_none():
    bare = record(request_tags=[])
    bare["metadata"] = {k: v for k, v in bare["metadata"].items() if not k.startswith("user_api_key_") or
                        k == "user_api_key_user_id"}
    requests, _ = parsed(litellm_payload, json.dumps([bare]).encode(), "payloads.json")
    assert requests[0].dimensions is None


def test_otel_real_capture_keeps_custom_resource_attributes_only():
    requests, rejected = parsed(otel_logs, OTLP.read_bytes(), "otel.json")
    assert not rejected and requests
    # service.*, os.*, host.* are the program's, not chargeback dimensions.
    assert requests[0].dimensions == {"otel": {"org.role": "worker-probe", "org.pane": "probe-pane"}}


def test_otel_resource_attributes_team_cost_center_department():
    body = json.loads(OTLP.read_text())
    body["resourceLogs"][0]["resource"]["attributes"] += [
        {"key": "team.id", "value": {"stringValue": "platform"}},
        {"key": "cost_center", "value": {"stringValue": "CC-42"}},
        {"key": "department", "value": {"stringValue": "R&D"}},
        {"key": "tier", "value": {"intValue": "3"}},
    ]
    requests = [r for r in otel_logs.requests_from_logs_body(body, "/v1/logs") if isinstance(r, ParsedRequest)]
    assert requests[0].dimensions["otel"] | {} == {
        "org.role": "worker-probe", "org.pane": "probe-pane", "team.id": "platform", "cost_center": "CC-42",
        "department": "R&D", "tier": "3",
    }


@pytest.mark.parametrize("cwd,repository", [
    ("/home/dev/acme-api", "/home/dev/acme-api"),
    ("/Users/ana/src/web.app/packages/ui", "/Users/ana/src/web.app"),
    ("/srv/checkouts/payments/.worktrees/fix-42/api", "/srv/checkouts/payments"),
    ("C:\\Users\\ana\\git\\api\\src", "C:/Users/ana/git/api"),
    ("/tmp/scratch/", "/tmp/scratch"),
    ("", UNKNOWN_PROJECT),
    # A user named like a code root (dev, work, code) is not one: every repository would fold into one.
    ("/home/dev/src/shop/app", "/home/dev/src/shop"),
    ("/Users/dev/Developer/mobile/ios", "/Users/dev/Developer/mobile"),
    ("C:\\Users\\code\\repos\\api\\x", "C:/Users/code/repos/api"),
])
def test_repository_of_a_working_directory(cwd, repository):
    assert repository_of(cwd) == repository


@pytest.mark.parametrize("change,reason", [
    ({"request_tags": ["x" * 201]}, "field dimensions.tags is too long (201 characters, at most 200)"),
    ({"request_tags": [f"t{i}" for i in range(17)]}, "field dimensions.tags is not a list of at most 16 tags"),
    ({"request_tags": ["a\x00b"]}, "field dimensions.tags holds a control character"),
])
def test_dimensions_out_of_bounds_reject_the_record_naming_the_field(change, reason):
    requests, rejected = parsed(litellm_payload, json.dumps([record(**change), record(id="msg_other")]).encode(),
                                "payloads.json")
    assert [r.message_id for r in requests] == ["msg_other"]  # the good record beside it lands
    assert rejected[0].reason.startswith(reason) and rejected[0].line == 1


def test_rows_carry_canonical_dimensions_and_none_for_transcripts():
    requests, _ = parsed(litellm_payload, json.dumps([record()]).encode(), "payloads.json")
    builder = RowBuilder(batch_id=1, table=RateTable([]), tz_name="UTC")
    row = builder.entry_for(requests[0], "litellm_payload", 1, 1)[1]
    stored = row[COLUMNS.index("dimensions")]
    assert stored == canonical(ALICE) == '{"api_key":"alice-claude-code","tags":["claude-code"],"team":"platform"}'
    assert orjson.loads(stored) == ALICE
    line = copy_line(row)
    assert line.endswith(b"\t" + stored.encode() + b"\n") and line.count(b"\t") == len(COLUMNS) - 1
    requests[0].dimensions = None
    assert copy_line(builder.entry_for(requests[0], "litellm_payload", 1, 1)[1]).endswith(b"\t\\N\n")
