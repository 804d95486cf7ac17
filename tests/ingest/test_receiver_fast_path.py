"""The receivers' short path (issue 16): the WSGI application serves them through a shorter middleware chain,
stores a body with one INSERT on a server-binding cursor (a connection that died idle is replaced, the body stored
once), and counts a token's rate in one Redis round trip."""
import io
import json
import sys
import time

from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
import psycopg
import pytest

from costdash.celery import app
from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import IngestToken, ReceivedBody
from costdash.ingest.received import received_drain
from costdash.lib.rates import rate_hit
from costdash.lib.redis_cache import cache_add
from costdash.ops.wsgi import CostdashHandler
from tests.celery_workers import database_url, redis_url_or_fail, use_broker_settings
from tests.ingest.test_received_bodies import body


@pytest.fixture
def memory_broker():
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url")}
    use_broker_settings(task_always_eager=False, broker_url="memory://localhost/")
    yield
    use_broker_settings(**saved)


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": redis_url_or_fail(), "KEY_PREFIX": "costdash-test-fast-path"}}


def wsgi(application, method: str, path: str, data: bytes = b"", **headers) -> tuple[int, dict, bytes]:
    """One request through ``application`` as a WSGI server makes it (the test's transaction kept open, as
    Django's test client keeps it: close_old_connections is not run around it)."""
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "testserver", "SERVER_PORT": "80",
               "HTTP_HOST": "testserver", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(data),
               "CONTENT_LENGTH": str(len(data)), "wsgi.errors": sys.stderr, "SCRIPT_NAME": "",
               **{f"HTTP_{k.upper().replace('-', '_')}" if k != "CONTENT_TYPE" else k: v for k, v in headers.items()}}
    answer = {}
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        chunks = application(environ, lambda status, pairs, exc_info=None: answer.update(status=status, headers=pairs))
        content = b"".join(chunks)
        chunks.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return int(answer["status"].split()[0]), dict(answer["headers"]), content


@pytest.mark.django_db
def test_receivers_go_through_the_short_chain_and_pages_through_the_whole_one(memory_broker, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    application = CostdashHandler()
    assert application.receiver_paths == {"/v1/logs", "/v1/metrics", "/ingest/litellm", "/ingest/transcripts"}
    secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]
    status, headers, content = wsgi(application, "POST", "/v1/logs", body("w"), CONTENT_TYPE="application/json",
                                    Authorization=f"Bearer {secret}")
    assert (status, json.loads(content)) == (200, {})
    assert "X-Request-ID" in headers and "Content-Security-Policy" not in headers  # ops middleware yes, page headers no
    assert ReceivedBody.objects.get().state == "pending" and received_drain().records == 4
    # Refusals are still the receiver's own: no token, wrong method, a host not allowed.
    assert wsgi(application, "POST", "/v1/logs", b"{}", CONTENT_TYPE="application/json")[0] == 401
    assert wsgi(application, "GET", "/v1/logs")[0] == 405
    assert wsgi(application, "POST", "/ingest/litellm", b"[]", CONTENT_TYPE="application/json",
                Host="elsewhere.example")[0] == 400
    # A page, and a receiver's path spelled otherwise, have the whole chain (its headers, its redirects).
    status, headers, _ = wsgi(application, "GET", "/login/")
    assert status == 200 and "Content-Security-Policy" in headers and "X-Frame-Options" in headers
    assert "Content-Security-Policy" in wsgi(application, "POST", "/v1/logs/", b"{}")[1]


@pytest.mark.django_db(transaction=True)
def test_a_connection_that_died_idle_is_replaced_and_the_body_stored_once(client, memory_broker, caplog):
    secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]
    post = {"content_type": "application/json", "headers": {"Authorization": f"Bearer {secret}"}}
    assert client.post("/v1/logs", data=body("a"), **post).status_code == 200
    connection.ensure_connection()
    with psycopg.connect(database_url(), autocommit=True) as other:  # as a server restart or an idle timeout does
        other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    assert client.post("/v1/logs", data=body("b"), **post).status_code == 200
    assert "the database connection was closed" in caplog.text  # found by the insert itself (no SELECT 1 first)
    assert ReceivedBody.objects.count() == 2
    assert received_drain().records == 8


@pytest.mark.django_db
def test_on_redis_the_rate_and_the_queued_flag_take_one_round_trip_each(redis_cache):
    from django.core.cache import cache

    at = 4_000_000 * 60 + 50.0
    counter = f"rate:test:fast:60:{int(at // 60)}"
    cache.delete(counter)
    assert [rate_hit("test:fast", "2/minute", now=at) for _ in range(3)] == [None, None, 10]
    assert cache.get(counter) == 3  # read back through Django's cache API
    assert 60 < cache._cache.get_client(None).ttl(cache.make_key(counter)) <= 120  # the window and its margin
    cache.delete("test:fast:flag")
    assert cache_add("test:fast:flag", 1, 30) is True and cache_add("test:fast:flag", 1, 30) is False
    assert cache.get("test:fast:flag") == 1
    cache.delete_many([counter, "test:fast:flag"])


@pytest.mark.django_db(transaction=True)
def test_a_burst_looks_at_the_queued_flag_once_and_the_drain_still_finds_every_body(client, memory_broker,
                                                                                       monkeypatch):
    from costdash.ingest import received

    secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]
    post = {"content_type": "application/json", "headers": {"Authorization": f"Bearer {secret}"}}
    looks = []
    monkeypatch.setattr(received, "cache_add", lambda *args, **kwargs: looks.append(args) or not looks[1:])
    monkeypatch.setattr(received, "QUEUED_RECHECK_SECONDS", 2.0)  # long, so that a loaded machine keeps within it
    received.received_drain()  # the flag cleared: the next body looks
    for tag in ("a", "b", "c"):  # within QUEUED_RECHECK_SECONDS of each other
        assert client.post("/v1/logs", data=body(tag), **post).status_code == 200
    assert len(looks) == 1
    assert received.received_drain().records == 12
    # A drain that found nothing looks once more QUEUED_RECHECK_SECONDS after it cleared the flag: a body
    # stored meanwhile by a web process that found the flag set just before the drain cleared it, and so did
    # not look again, is found.
    claims, real_claim, seen = [], received.received_claim, time.monotonic()

    def claim(limit):
        got = real_claim(limit)
        if got is None and not claims:
            claims.append(1)
            monkeypatch.setattr(received, "_queued_seen_at", seen)  # that web process's last look
            before = len(looks)
            assert client.post("/v1/logs", data=body("d"), **post).status_code == 200
            assert len(looks) == before  # it did not look at the flag
        return got

    monkeypatch.setattr(received, "received_claim", claim)
    began = time.monotonic()
    assert received.received_drain().records == 4 and claims == [1]
    assert time.monotonic() - began >= 2.0
    assert ReceivedBody.objects.filter(state="done").count() == 4
