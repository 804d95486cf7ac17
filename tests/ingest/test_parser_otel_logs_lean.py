"""The OTLP log reader keeps only the attributes it reads (otel_logs.READ_ATTRIBUTES, issue 16's batch path):
the same requests, failures and reasons as reading every attribute."""
import copy
from pathlib import Path
import re

import pytest

from costdash.ingest.parsers import otel_logs
from tests.ingest.test_parser_otel_logs import body_with, sample_body


class Everything:
    """A READ_ATTRIBUTES that keeps every attribute: the reader as it was before it chose."""

    def __contains__(self, key) -> bool:
        return isinstance(key, str)


def read_both(body, monkeypatch) -> tuple[list, list]:
    lean = list(otel_logs.requests_from_logs_body(copy.deepcopy(body), "test"))
    with monkeypatch.context() as patched:
        patched.setattr(otel_logs, "READ_ATTRIBUTES", Everything())
        whole = list(otel_logs.requests_from_logs_body(copy.deepcopy(body), "test"))
    return lean, whole


def test_every_attribute_the_module_reads_is_kept():
    source = Path(otel_logs.__file__).read_text()
    read = set(re.findall(r'(?:_text|_value|_count|_label_part)\(attrs, "([^"]+)"\)', source))
    read |= set(re.findall(r'"([^"]+)" (?:not )?in attrs', source))
    read |= set(re.findall(r'attrs\.get\("([^"]+)"\)', source))
    read |= {"input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens", "cost_usd"}
    assert len(read) > 15 and read <= otel_logs.READ_ATTRIBUTES, read - otel_logs.READ_ATTRIBUTES
    assert set(otel_logs.IDENTITY_ATTRIBUTES) <= otel_logs.READ_ATTRIBUTES


ERROR_EVENT = {"event.name": {"stringValue": "api_error"}, "status_code": {"intValue": 529},
               "error": {"stringValue": "overloaded"}, "attempt": {"intValue": 2}, "prompt.id": {"stringValue": "p"}}


@pytest.mark.parametrize("attrs, resource, drop", [
    ({}, None, ()),
    ({"cache_creation_5m_tokens": {"intValue": "7"}, "cache_creation_1h_tokens": {"intValue": 3}}, None, ()),
    ({"cost_usd_micros": {"intValue": 2765}}, None, ("cost_usd",)),
    ({"event.sequence": {"intValue": 4}, "prompt.id": {"stringValue": "p1"}}, None, ("request_id",)),
    ({}, {"user.email": {"stringValue": "res@example.com"}, "team": {"stringValue": "core"}}, ()),
    ({"user.email": {"stringValue": "rec@example.com"}}, {"user.email": {"stringValue": "res@example.com"}}, ()),
    ({}, {"model": {"stringValue": "claude-opus-4-6"}}, ("model",)),
    ({"input_tokens": {"intValue": "00042"}, "output_tokens": {"intValue": "1e3"}}, None, ()),
    ({"input_tokens": {"intValue": 3, "stringValue": "x"}}, None, ()),
    ({"model": {"stringValue": 12}}, None, ()),
    ({**ERROR_EVENT}, {"developer.id": {"stringValue": "d-7"}}, ("request_id",)),
])
def test_the_lean_reader_reads_what_the_whole_one_reads(attrs, resource, drop, monkeypatch):
    lean, whole = read_both(body_with(attrs, resource=resource, drop=drop), monkeypatch)
    assert lean == whole and len(lean) == 1


def test_odd_attribute_lists_read_alike(monkeypatch):
    body = body_with({})
    entries = body["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"]
    entries += ["junk", {"value": {"intValue": 1}}, {"key": ["unhashable"], "value": {}}, {"key": 5, "value": {}},
                {"key": "model", "value": {"stringValue": "claude-haiku-4-5"}}]  # a repeated key: the last wins
    lean, whole = read_both(body, monkeypatch)
    assert lean == whole and lean[0].raw_model == "claude-haiku-4-5"
    body["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"] = {"model": "x"}  # not a list
    assert read_both(body, monkeypatch)[0] == read_both(body, monkeypatch)[1]


def test_the_real_capture_and_many_records_of_a_scope_read_alike(monkeypatch):
    body = sample_body()
    records = body["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    records *= 3  # the scope's attributes and dimensions are read once for all of them
    lean, whole = read_both(body, monkeypatch)
    assert lean == whole and len(lean) == 3 and lean[0].dimensions == {"otel": {"org.role": "worker-probe",
                                                                                "org.pane": "probe-pane"}}
