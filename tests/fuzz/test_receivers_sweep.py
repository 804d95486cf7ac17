"""The deterministic sweep of test_parsers_fuzz, through the receivers: every field a parser reads
in a real line or record, with each of a few hostile values (or deleted), one edit a record, all
the variants of a seed in one body beside one good record. The answer must be 200 with the good
record stored, nothing stored NaN or out of range, the rollup recompute passing. When a body
fails, each variant is sent alone to name the ones that fail (the minimal reproducing inputs).
"""
from collections.abc import Callable
import copy
import io

import orjson
import pytest

from costdash.ingest.models import IngestToken
from costdash.ingest.parsers import claude_code_jsonl, litellm_payload
from costdash.ingest.parsers.base import ParseStats
from tests.fuzz.hostile import encode, single_edits, to_json
from tests.fuzz.receiving import (
    GOOD_LINE,
    GOOD_LOGS,
    check_answer,
    good_payload,
    keys_of,
    origin,
    post,
    rolled_back,
)
from tests.fuzz.seeds import seeds
from tests.ingest.test_parser_otel_logs import body_with

pytestmark = pytest.mark.django_db
MAX_CULPRITS = 12


def uniquified(value, n: int):
    """A copy whose ids (message and request ids, a record's id) end in ``_v<n>``, so each variant
    of one seed is its own request rather than a repeat of the others."""
    if isinstance(value, dict):
        return {k: (f"{v}_v{n}" if k in ("id", "requestId", "request_id") and isinstance(v, str) else uniquified(v, n))
                for k, v in value.items()}
    if isinstance(value, list):
        return [uniquified(v, n) for v in value]
    if isinstance(value, str) and value.startswith(("msg_", "req_")):
        return f"{value}_v{n}"
    return value


def variants(seed, strict: bool = False) -> list[tuple[str, bytes]]:
    """(what was edited, the edited record as JSON) for every single-field edit of ``seed``."""
    found = []
    for n, (path, new, edited) in enumerate(single_edits(seed, strict)):
        found.append((f"{'.'.join(map(str, path))}={new!r:.50}", encode(to_json(uniquified(edited, n)))))
    return found


def sweep(path: str, content_type: str, kind: str, found: list[tuple[str, bytes]], good: bytes, good_keys: set,
          join: Callable[[list[bytes]], bytes], **headers) -> None:
    """All variants in one body; on failure, each alone, and the failing ones listed."""
    with rolled_back():
        try:
            check_answer(post(path, join([v for _, v in found] + [good]), content_type, kind, **headers),
                         good_keys, good_must_land=True)
            return
        except Exception as exc:  # noqa: BLE001 - the diagnosis below names the variants
            whole = f"{type(exc).__name__} at {origin(exc)}: {str(exc)[:300]}"
    culprits = []
    for where, variant in found:
        with rolled_back():
            try:
                check_answer(post(path, join([variant, good]), content_type, kind, **headers), good_keys,
                             good_must_land=True)
            except Exception as exc:  # noqa: BLE001
                culprits.append(f"{where}\n    {variant[:300]!r}\n    -> {type(exc).__name__} at {origin(exc)}: "
                                f"{str(exc)[:300]}")
        if len(culprits) == MAX_CULPRITS:
            break
    pytest.fail(f"the body of all {len(found)} variants failed ({whole}); alone, these fail:\n" + "\n".join(culprits))


def ndjson(lines: list[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n"


@pytest.mark.parametrize("seed_index", range(4))
def test_transcript_push_sweep(samples, seed_index):
    name, seed = seeds(samples)["claude_code_jsonl"][seed_index]
    good = orjson.dumps(GOOD_LINE)
    good_keys = keys_of(claude_code_jsonl.parse(io.BytesIO(good + b"\n"), "good", ParseStats()))
    sweep("/ingest/transcripts", "application/x-ndjson", IngestToken.Kind.TRANSCRIPTS, variants(seed.value[0]), good,
          good_keys, ndjson, **{"X-Costdash-File": name})


def test_litellm_callback_sweep():
    good = orjson.dumps(good_payload())
    good_keys = keys_of(litellm_payload.parse(io.BytesIO(good), "good", ParseStats()))
    seed = copy.deepcopy(good_payload())
    seed["id"] = "fuzz-sweep"
    sweep("/ingest/litellm", "application/x-ndjson", IngestToken.Kind.LITELLM, variants(seed), good, good_keys, ndjson)


def test_otlp_logs_sweep():
    seed = body_with({})["resourceLogs"][0]
    found = variants(seed, strict=True)  # one JSON body: NaN or 1e999999 would make all of it unreadable
    join = lambda resources: b'{"resourceLogs":[' + b",".join(resources) + b"]}"  # noqa: E731
    sweep("/v1/logs", "application/json", IngestToken.Kind.OTLP, found, orjson.dumps(GOOD_LOGS["resourceLogs"][0]),
          {"otel:req_fuzz_good"}, join)


# A bad first line: a line-based body must not be taken for one broken JSON document because of it.
# Lines that open an array or an object over several lines ("[", "{" then "{") are left out: a
# cut json_array or pretty-printed body may fairly be refused whole.
BAD_FIRST_LINES = [b"{", b"x", b'{"a":', b"\xff\xfe", b"null", b"[]", b"{}", b'"text"', b"NaN", b"1e999999", b"\x00"]


@pytest.mark.parametrize(("path", "kind"), [("/ingest/litellm", IngestToken.Kind.LITELLM),
                                             ("/ingest/transcripts", IngestToken.Kind.TRANSCRIPTS)])
def test_a_bad_first_line_loses_only_itself(path, kind):
    if kind == IngestToken.Kind.LITELLM:
        good = orjson.dumps(good_payload())
        good_keys = keys_of(litellm_payload.parse(io.BytesIO(good), "good", ParseStats()))
    else:
        good = orjson.dumps(GOOD_LINE)
        good_keys = keys_of(claude_code_jsonl.parse(io.BytesIO(good + b"\n"), "good", ParseStats()))
    found = [(f"first line {line!r}", line) for line in BAD_FIRST_LINES]
    culprits = []
    for where, line in found:
        with rolled_back():
            try:
                check_answer(post(path, ndjson([line, good]), "application/x-ndjson", kind), good_keys,
                             good_must_land=True)
            except Exception as exc:  # noqa: BLE001
                culprits.append(f"{where} -> {type(exc).__name__} at {origin(exc)}: {str(exc)[:200]}")
    assert not culprits, "\n".join(culprits)
