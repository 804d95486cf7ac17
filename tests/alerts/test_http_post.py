"""costdash.lib.http's POST against a real local server: body and headers arrive, errors say whether
to retry, a redirect is not followed, and a URL's path (a webhook's secret) stays out of errors."""
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import threading

import pytest

from costdash.lib.http import HttpError, http_post

SECRET_PATH = "/services/T000/B000/XXXXSECRETXXXX"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["content-length"]))
        status = int(self.path.rsplit("/", 1)[1])
        reply = b'{"echo": ' + body + b', "type": "' + self.headers["content-type"].encode() + b'"}'
        self.send_response(status)
        if status in (301, 307):
            self.send_header("location", "/200")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_post_sends_its_body_and_headers(server):
    response = http_post(f"{server}/ok/200", b'{"a": 1}', headers={"Content-Type": "application/json"})
    assert response.status == 200 and response.body == b'{"echo": {"a": 1}, "type": "application/json"}'


@pytest.mark.parametrize("status, permanent", [(400, True), (403, True), (404, True), (410, True), (408, False),
                                               (429, False), (500, False), (503, False), (301, True), (307, True)])
def test_errors_say_whether_to_retry_and_never_show_the_path(server, status, permanent):
    with pytest.raises(HttpError) as caught:
        http_post(f"{server}{SECRET_PATH}/{status}", b"{}")
    assert caught.value.status == status and caught.value.permanent is permanent
    assert str(caught.value).startswith(f"POST {server}: HTTP {status}")
    assert "SECRET" not in str(caught.value)


def test_a_label_names_the_call_in_errors(server):
    with pytest.raises(HttpError) as caught:
        http_post(f"{server}{SECRET_PATH}/500", b"{}", label="Slack webhook http://127.0.0.1/…XXXX")
    assert str(caught.value).startswith("POST Slack webhook http://127.0.0.1/…XXXX: HTTP 500")


def test_only_http_urls_are_posted_to():
    for url in ("file:///etc/passwd", "ftp://example.com/x", "not a url"):
        with pytest.raises(HttpError) as caught:
            http_post(url, b"{}")
        assert caught.value.permanent is True and caught.value.status is None
