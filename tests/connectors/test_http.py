"""costdash.lib.http against a real local HTTP server: what is permanent, what is worth retrying."""
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import socket
import threading
import time

import pytest

from costdash.connectors.client import RetryPolicy, retry_after_seconds
from costdash.lib.http import HttpError, http_get


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        status = int(self.path.split("/")[1].split("?")[0])
        if status == 999:  # hangs past the client's timeout
            time.sleep(1.0)
            status = 200
        body = f'{{"path": "{self.path}", "auth": "{self.headers.get("x-api-key", "")}"}}'.encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        if status == 429:
            self.send_header("retry-after", "7")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK = True  # the server is plain http on 127.0.0.1


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_2xx_returns_status_headers_and_body_with_repeated_params(server):
    response = http_get(f"{server}/200", params=[("g[]", "a"), ("g[]", "b"), ("x", "1 2")],
                        headers={"x-api-key": "k1"})
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.body == b'{"path": "/200?g%5B%5D=a&g%5B%5D=b&x=1+2", "auth": "k1"}'


@pytest.mark.parametrize("status, permanent", [(400, True), (401, True), (403, True), (404, True), (408, False),
                                               (429, False), (500, False), (503, False)])
def test_error_statuses_say_whether_to_retry(server, status, permanent):
    with pytest.raises(HttpError) as caught:
        http_get(f"{server}/{status}", headers={"x-api-key": "secret-in-a-header"})
    assert caught.value.status == status and caught.value.permanent is permanent
    assert f"HTTP {status}" in str(caught.value) and f"/{status}" in str(caught.value)
    assert caught.value.retry_after == ("7" if status == 429 else None)


def test_no_response_is_transient(server):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(HttpError) as caught:
        http_get(f"http://127.0.0.1:{port}/")
    assert caught.value.status is None and caught.value.permanent is False


def test_a_timeout_is_transient(server):
    started = time.monotonic()
    with pytest.raises(HttpError) as caught:
        http_get(f"{server}/999", timeout=0.2)
    assert time.monotonic() - started < 0.9
    assert caught.value.status is None and caught.value.permanent is False


def test_only_http_urls_are_fetched():
    with pytest.raises(HttpError) as caught:
        http_get("file:///etc/passwd")
    assert caught.value.permanent is True


def test_retry_delays_back_off_and_honour_retry_after_up_to_a_cap():
    policy = RetryPolicy(base=1.0, cap=5.0, retry_after_cap=30.0)
    assert [policy.delay(n, None) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    assert policy.delay(1, "12") == 12.0
    assert policy.delay(1, "3600") == 30.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: now
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
