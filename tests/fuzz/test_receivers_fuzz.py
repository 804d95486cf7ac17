"""Every HTTP receiver, sent hostile edits of real bodies beside one good record, with a real
ingest token and the real PostgreSQL: the answer is 200 (rejections counted, OTLP partialSuccess)
or a 4xx with a reason, never a 5xx; the good record lands; nothing stored is NaN or out of range;
and the rollup recompute of what was stored does not fail.

Each example runs in a savepoint rolled back at its end (pytest-django's ``db`` is per test, not
per example), so every example starts from the same empty tables.
"""
import gzip
import io

from hypothesis import given, settings
from hypothesis import strategies as st
import orjson
import pytest

from costdash.ingest.models import IngestToken
from costdash.ingest.parsers import claude_code_jsonl, litellm_payload, otel_metrics
from costdash.ingest.parsers.base import ParseStats
from tests.fuzz.budget import examples
from tests.fuzz.hostile import Doc, doc_bytes, encode, mutated_doc, to_json
from tests.fuzz.otlp_proto import logs_message, metrics_message, mutated_logs, mutated_metrics
from tests.fuzz.receiving import (
    GOOD_LINE,
    GOOD_LOGS,
    GOOD_METRICS,
    check_answer,
    good_payload,
    keys_of,
    post,
    rolled_back,
    strict_json,
)
from tests.fuzz.seeds import seeds

pytestmark = pytest.mark.django_db


# --- OTLP logs and metrics, JSON and protobuf ------------------------------------------------------


@st.composite
def otlp_json_bodies(draw, seed: dict, good: dict, field: str) -> bytes:
    """An OTLP/JSON body: the seed's first resource edited, then the good body's resource."""
    resource = draw(mutated_doc(Doc("json", seed[field][0]))).value
    return encode("{" + f'"{field}":[{to_json(resource)},{to_json(good[field][0])}]' + "}")


@settings(max_examples=examples(25))
@given(data=st.data())
def test_otlp_logs_json(samples, data):
    body = data.draw(otlp_json_bodies(seeds(samples)["otel"][0][1].value[0], GOOD_LOGS, "resourceLogs"))
    with rolled_back():
        response = post("/v1/logs", body, "application/json", IngestToken.Kind.OTLP)
        check_answer(response, {"otel:req_fuzz_good"}, good_must_land=strict_json(body))


@settings(max_examples=examples(25))
@given(data=st.data())
def test_otlp_logs_protobuf(samples, data):
    message = data.draw(mutated_logs(logs_message(seeds(samples)["otel"][0][1].value[0])))
    message.resource_logs.append(logs_message(GOOD_LOGS).resource_logs[0])
    body = data.draw(st.just(message.SerializeToString()), label="body")  # printed when it fails
    with rolled_back():
        response = post("/v1/logs", body, "application/x-protobuf", IngestToken.Kind.OTLP)
        check_answer(response, {"otel:req_fuzz_good"}, good_must_land=True)


def good_metric_keys() -> set[str]:
    return keys_of(otel_metrics.records_from_metrics_body(GOOD_METRICS, "good"))


@settings(max_examples=examples(25))
@given(data=st.data())
def test_otlp_metrics_json(samples, data):
    seed = seeds(samples)["otel_metrics"][0][1].value[0]
    body = data.draw(otlp_json_bodies(seed, GOOD_METRICS, "resourceMetrics"))
    with rolled_back():
        response = post("/v1/metrics", body, "application/json", IngestToken.Kind.OTLP)
        check_answer(response, good_metric_keys(), good_must_land=strict_json(body))


@settings(max_examples=examples(25))
@given(data=st.data())
def test_otlp_metrics_protobuf(samples, data):
    message = data.draw(mutated_metrics(metrics_message(seeds(samples)["otel_metrics"][0][1].value[0])))
    message.resource_metrics.append(metrics_message(GOOD_METRICS).resource_metrics[0])
    body = data.draw(st.just(message.SerializeToString()), label="body")  # printed when it fails
    with rolled_back():
        response = post("/v1/metrics", body, "application/x-protobuf", IngestToken.Kind.OTLP)
        check_answer(response, good_metric_keys(), good_must_land=True)


# --- line-based bodies: LiteLLM's logger and the transcript push -----------------------------------


@st.composite
def litellm_bodies(draw, seed: Doc, good: bytes, as_array: bool) -> bytes:
    """Edited records and then the good one: one a line (ndjson), or the items of a JSON array."""
    lines = draw(mutated_doc(seed)).value
    if not as_array:
        return doc_bytes(Doc("jsonl", lines)) + good + b"\n"
    return b"[" + b",".join([line if isinstance(line, bytes) else encode(to_json(line)) for line in lines] + [good]) + b"]"


@settings(max_examples=examples(25))
@given(data=st.data(), as_array=st.booleans())
def test_litellm_callback(samples, data, as_array):
    good = orjson.dumps(good_payload())
    good_keys = keys_of(litellm_payload.parse(io.BytesIO(good), "good", ParseStats()))
    body = data.draw(litellm_bodies(seeds(samples)["litellm_payload"][1][1], good, as_array))  # ndjson seed
    with rolled_back():
        response = post("/ingest/litellm", body, "application/json", IngestToken.Kind.LITELLM)
        check_answer(response, good_keys, good_must_land=not as_array or strict_json(body))


@settings(max_examples=examples(30))
@given(data=st.data(), encoding=st.sampled_from(["identity", "gzip", "cut gzip"]))
def test_transcript_push(samples, data, encoding):
    transcripts = seeds(samples)["claude_code_jsonl"]
    name, seed = transcripts[data.draw(st.integers(0, len(transcripts) - 1), label="seed")]
    good = orjson.dumps(GOOD_LINE) + b"\n"
    good_keys = keys_of(claude_code_jsonl.parse(io.BytesIO(good), "good", ParseStats()))
    body = data.draw(mutated_doc(seed).map(doc_bytes), label="edited lines") + good
    headers = {"X-Costdash-File": name}
    if encoding != "identity":  # as the push script sends it; a cut one is a 400, never a 500
        body = gzip.compress(body)
        body = body[: len(body) // 2] if encoding == "cut gzip" else body
        headers["Content-Encoding"] = "gzip"
    with rolled_back():
        response = post("/ingest/transcripts", body, "application/x-ndjson", IngestToken.Kind.TRANSCRIPTS, **headers)
        check_answer(response, good_keys, good_must_land=encoding != "cut gzip")


# --- any bytes at all, to every receiver ---------------------------------------------------------

RECEIVERS = [
    ("/v1/logs", "application/json", IngestToken.Kind.OTLP),
    ("/v1/logs", "application/x-protobuf", IngestToken.Kind.OTLP),
    ("/v1/metrics", "application/json", IngestToken.Kind.OTLP),
    ("/v1/metrics", "application/x-protobuf", IngestToken.Kind.OTLP),
    ("/ingest/litellm", "application/json", IngestToken.Kind.LITELLM),
    ("/ingest/transcripts", "application/x-ndjson", IngestToken.Kind.TRANSCRIPTS),
]


@pytest.mark.parametrize(("path", "content_type", "kind"), RECEIVERS)
@settings(max_examples=examples(25))
@given(body=st.binary(min_size=1, max_size=400), gzipped=st.booleans())
def test_generated_bytes_get_200_or_a_4xx_with_a_reason(path, content_type, kind, body, gzipped):
    headers = {"Content-Encoding": "gzip"} if gzipped else {}
    with rolled_back():
        response = post(path, gzip.compress(body) if gzipped else body, content_type, kind, **headers)
        check_answer(response, set(), good_must_land=False)
