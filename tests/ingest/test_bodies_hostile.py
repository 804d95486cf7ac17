"""Live bodies under attack (issue 11, items 3, 4 over HTTP and 7): bombs and floods are refused
within bounded memory, chunked bodies are read, and bad records beside good ones answer 200."""
import gzip
import json
import os
from pathlib import Path
import socket
import subprocess
import sys
import time
import urllib.request
import zlib

import pytest

from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import IngestToken, UsageEvent
from costdash.lib.bodies import BodyError, Caps, inflate
from tests.factories import DeveloperFactory

from .transcripts import assistant_line

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def push_token(db):
    developer = DeveloperFactory(email="ana@example.com")
    return ingest_token_create(name="laptop", kind=IngestToken.Kind.TRANSCRIPTS, developer=developer)


@pytest.fixture
def otlp_token(db):
    return ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]


@pytest.fixture
def litellm_token(db):
    return ingest_token_create(name="proxy", kind=IngestToken.Kind.LITELLM)[1]


def bomb(unit: bytes, size: int, head: bytes = b"", tail: bytes = b"") -> bytes:
    """A gzip body of ``size`` bytes of ``unit`` repeated, compressed as far as zlib goes."""
    block = unit * (1024 * 1024 // len(unit))
    out = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [out.compress(head)] + [out.compress(block) for _ in range(size // len(block))]
    return b"".join([*parts, out.compress(tail), out.flush()])


def post(client, url, token, data, content_type="application/x-ndjson", **headers):
    return client.post(url, data=data, content_type=content_type,
                       headers={"Authorization": f"Bearer {token}", **headers})


@pytest.mark.parametrize(("url", "kind", "content_type", "unit", "head", "tail"), [
    ("/ingest/transcripts", "push", "application/x-ndjson", b"\n", b"", b""),
    ("/ingest/transcripts", "push", "application/x-ndjson", b"{}\n", b"", b""),
    ("/ingest/litellm", "litellm", "application/json", b"{},", b"[", b"{}]"),
    ("/v1/logs", "otlp", "application/json", b"{},", b'{"resourceLogs":[', b"{}]}"),
])
def test_a_gzip_bomb_is_refused_while_inflating(client, push_token, otlp_token, litellm_token,
                                                url, kind, content_type, unit, head, tail):
    """~50 KB inflating to 48 MB: it used to be inflated whole, then parsed into tens of millions
    of rows (2.5-5.8 GB, 30-100 s); now the ratio cap (500:1) refuses it after a few MB of output."""
    token = {"push": push_token[1], "otlp": otlp_token, "litellm": litellm_token}[kind]
    data = bomb(unit, 48 * 1024 * 1024, head, tail)
    assert len(data) < 100_000
    started = time.monotonic()
    response = post(client, url, token, data, content_type, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413 and "inflates more than 500:1" in response.json()["error"]
    assert time.monotonic() - started < 5
    assert not UsageEvent.objects.exists()


def test_a_flood_under_the_ratio_cap_is_refused_by_its_line_count(client, push_token, settings):
    """Blank lines sent plain (or compressed under the ratio) are counted before parsing."""
    settings.COSTDASH_BODY_MAX_RECORDS = 1000  # lines allowed: ten times that
    response = post(client, "/ingest/transcripts", push_token[1], b"\n" * 10_001)
    assert response.status_code == 413 and "over 10,000 lines" in response.json()["error"]


def test_too_many_records_in_a_body_are_refused_before_any_is_written(client, push_token, settings):
    settings.COSTDASH_BODY_MAX_RECORDS = 5
    body = b"".join(json.dumps(assistant_line(msg=f"msg_{i}", req=f"req_{i}")).encode() + b"\n" for i in range(6))
    response = post(client, "/ingest/transcripts", push_token[1], body)
    assert response.status_code == 413 and "over 5 records" in response.json()["error"]
    assert not UsageEvent.objects.exists()


def test_a_flood_of_bad_records_is_counted_not_held(client, litellm_token):
    """Every rejected record is counted on the answer and the token; only the first 100 are held
    (each used to be kept, a Python object per record) and 20 listed; the good record lands."""
    from tests.ingest.test_parser_litellm_payload import record

    bad = [{**record(), "id": f"c{i}", "startTime": "yesterday"} for i in range(1500)]
    body = b"\n".join(json.dumps(r).encode() for r in [record(), *bad]) + b"\n"
    response = post(client, "/ingest/litellm", litellm_token, body)
    assert response.status_code == 200, response.content
    answer = response.json()
    # Consecutive records rejected alike may come as one run (parsers.base.Rejected.count).
    assert (answer["new"], answer["rejected_count"]) == (1, 1500) and 1 <= len(answer["rejected"]) <= 20
    assert IngestToken.objects.get(kind=IngestToken.Kind.LITELLM).rejected == 1500


def test_bounded_keeps_the_first_rejected_and_counts_the_rest():
    from costdash.ingest.parsers.base import Rejected
    from costdash.ingest.receivers import MAX_REJECTED_KEPT, Bounded

    bounded = Bounded((Rejected("body", n, "bad") for n in range(1, 10_001)), limit=10_000)
    kept = list(bounded)
    assert len(kept) == MAX_REJECTED_KEPT and bounded.dropped == 10_000 - MAX_REJECTED_KEPT
    runs = Bounded([Rejected("body", n, "bad") for n in range(1, 101)] + [Rejected("body", 101, "bad", count=50)])
    assert len(list(runs)) == 100 and runs.dropped == 50
    with pytest.raises(BodyError, match="over 9,999 records"):
        list(Bounded((Rejected("body", n, "bad") for n in range(1, 10_001)), limit=9_999))


def test_a_cut_gzip_body_is_a_400(client, push_token):
    data = gzip.compress(json.dumps(assistant_line()).encode() + b"\n")
    response = post(client, "/ingest/transcripts", push_token[1], data[:-12], **{"Content-Encoding": "gzip"})
    assert response.status_code == 400 and "gzip" in response.json()["error"]


def test_inflating_stops_one_piece_past_the_cap():
    """The cap is checked as output comes: a 1 GB bomb costs ~2 MB, never 1 GB."""
    data = bomb(b"\0", 1024 * 1024 * 1024)
    with pytest.raises(BodyError, match="inflates past the 2,000,000-byte limit"):
        inflate([data], Caps(sent=len(data), inflated=2_000_000, ratio=10**9))
    two_members = gzip.compress(b"a\n") + gzip.compress(b"b\n")
    assert inflate([two_members[:5], two_members[5:]], Caps(sent=100, inflated=100, ratio=10)) == b"a\nb\n"


def test_a_protobuf_flood_of_empty_records_is_refused_before_decoding(client, otlp_token):
    """2 bytes per empty log record on the wire, ~200 decoded: counted on the wire first."""
    from google.protobuf.internal.encoder import _VarintBytes

    records = b"\x12\x00" * 1_000_000
    scope = b"\x12" + _VarintBytes(len(records)) + records
    data = b"\x0a" + _VarintBytes(len(scope)) + scope
    response = post(client, "/v1/logs", otlp_token, data, "application/x-protobuf")
    assert response.status_code == 413 and "protobuf messages" in response.json()["error"]


BAD_FIELDS = [
    ("model over 120 characters", {"model": "claude-" + "x" * 130}),
    ("message id over 196 characters", {"msg": "msg_" + "x" * 200}),
    ("NUL in the model", {"model": "claude-sonnet-4-6\x00"}),
    ("costUSD Infinity", {"costUSD": "Infinity"}),
    ("costUSD 1e30", {"costUSD": 1e30}),
    ("costUSD 1e999999", {"costUSD": "1e999999"}),
    ("costUSD NaN", {"costUSD": "NaN"}),
]


@pytest.mark.parametrize(("label", "bad"), BAD_FIELDS, ids=[b[0] for b in BAD_FIELDS])
def test_one_bad_field_is_a_rejected_line_and_its_neighbours_land(client, push_token, label, bad):
    """Each of these used to answer 500 and lose the good lines of the same body."""
    fields = dict(bad)
    cost = fields.pop("costUSD", None)
    line = assistant_line(**{"msg": "msg_bad", "req": "req_bad", **fields})
    text = json.dumps(line)
    if cost is not None:  # raw, as a hostile sender writes it (json.dumps would write Infinity/NaN)
        text = text[:-1] + f', "costUSD": {cost if isinstance(cost, float) else cost}' + "}"
    body = b"".join([
        json.dumps(assistant_line(msg="msg_a", req="req_a")).encode() + b"\n", text.encode() + b"\n",
        json.dumps(assistant_line(msg="msg_b", req="req_b")).encode() + b"\n",
    ])
    response = post(client, "/ingest/transcripts", push_token[1], body)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["new"] >= 2 and answer["rejected_count"] <= 1
    assert set(UsageEvent.objects.values_list("message_id", flat=True)) >= {"msg_a", "msg_b"}
    for event in UsageEvent.objects.all():
        assert event.cost is None or event.cost == event.cost  # never NaN
        assert "\x00" not in event.model and len(event.model) <= 120


def test_an_unexpected_error_is_a_500_with_a_reason(client, push_token, monkeypatch):
    from costdash.ingest.live import LiveBatch

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(LiveBatch, "write", broken)
    response = post(client, "/ingest/transcripts", push_token[1], json.dumps(assistant_line()).encode() + b"\n")
    assert response.status_code == 500 and "could not be stored (RuntimeError)" in response.json()["error"]


# Chunked transfer encoding, through the real gunicorn --------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn():
    from tests.celery_workers import database_url

    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_DEBUG": "false", "DJANGO_ALLOWED_HOSTS": "*",
           "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "test-" + "x" * 50}
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "costdash.wsgi:application", "--workers", "1",
         "--bind", f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"gunicorn did not start: {server.stderr.read1().decode()}")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_is_read_through_gunicorn(gunicorn, push_token):
    """No Content-Length: the body used to be read as empty and refused (400)."""
    lines = [json.dumps(assistant_line(msg=f"msg_{i}", req=f"req_{i}")).encode() + b"\n" for i in range(3)]
    request = urllib.request.Request(f"{gunicorn}/ingest/transcripts", data=iter(lines), method="POST", headers={
        "Authorization": f"Bearer {push_token[1]}", "Content-Type": "application/x-ndjson",
        "Transfer-Encoding": "chunked",
    })
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    assert answer["new"] == 3 and UsageEvent.objects.count() == 3
