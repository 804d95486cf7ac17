"""A local stand-in for the Anthropic Admin API: a real HTTP server on 127.0.0.1, in a thread.

It serves the three endpoints in the documented shapes (shared/samples/admin-api/), from the
data a test gives it per UTC day, and pages them: at most ``page_size`` buckets (records for
claude_code) per page, an opaque ``next_page`` cursor that is refused (400) when any other
parameter changed, as the docs tell clients to assume. It checks the admin key (a wrong one gets
a 401 whose body echoes it back, as a careless server might) and the version header, and records
every request it saw. ``intercept(request, pages_served)`` may answer a request instead (to fail).
"""
from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
import hashlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
import threading
from urllib.parse import parse_qsl, urlsplit

PATHS = {
    "/v1/organizations/usage_report/messages": "messages",
    "/v1/organizations/cost_report": "cost",
    "/v1/organizations/usage_report/claude_code": "claude_code",
}


@dataclass
class Seen:
    path: str
    params: list[tuple[str, str]]
    headers: dict[str, str]

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.params if k == name), None)

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.params if k == name]

    def without_page(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in self.params if k != "page"]


Reply = tuple[int, dict[str, str], bytes]


class FakeAdminApi:
    def __init__(self, key: str, page_size: int = 2):
        self.key = key
        self.page_size = page_size
        self.data: dict[str, dict[date, list[dict]]] = {"messages": {}, "cost": {}, "claude_code": {}}
        self.seen: list[Seen] = []
        self.pages_served = 0
        self.intercept: Callable[[Seen, int], Reply | None] | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeAdminApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def requests_to(self, endpoint: str) -> list[Seen]:
        path = next(p for p, name in PATHS.items() if name == endpoint)
        return [s for s in self.seen if s.path == path]

    # --- serving ----------------------------------------------------------------------------------

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                seen = Seen(parts.path, parse_qsl(parts.query, keep_blank_values=True),
                            {k.lower(): v for k, v in self.headers.items()})
                status, headers, body = api._answer(seen)
                self.send_response(status)
                for name, value in {"content-type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep test output quiet
                pass

        return Handler

    def _answer(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            if self.intercept:
                reply = self.intercept(seen, self.pages_served)
                if reply is not None:
                    return reply
            if seen.headers.get("x-api-key") != self.key:
                message = f"invalid x-api-key: {seen.headers.get('x-api-key')}"
                return _error(401, "authentication_error", message)
            if seen.headers.get("anthropic-version") != "2023-06-01":
                return _error(400, "invalid_request_error", "anthropic-version header is required")
            endpoint = PATHS.get(seen.path)
            if endpoint is None:
                return _error(404, "not_found_error", "no such endpoint")
            items = self._items(endpoint, seen)
            if isinstance(items, tuple):
                return items
            reply = self._page(items, seen)
            if reply[0] == 200:
                self.pages_served += 1
            return reply

    def _items(self, endpoint: str, seen: Seen) -> list[dict] | Reply:
        data = self.data[endpoint]
        if endpoint == "claude_code":
            day = date.fromisoformat(seen.param("starting_at"))
            return [{"date": f"{day}T00:00:00Z", **record} for record in data.get(day, [])]
        start = datetime.fromisoformat(seen.param("starting_at")).date()
        end = datetime.fromisoformat(seen.param("ending_at")).date()
        if seen.param("bucket_width") != "1d":
            return _error(400, "invalid_request_error", "this stand-in serves 1d buckets only")
        days = [start + timedelta(days=n) for n in range((end - start).days)]
        return [
            {"starting_at": f"{d}T00:00:00Z", "ending_at": f"{d + timedelta(days=1)}T00:00:00Z",
             "results": data.get(d, [])}
            for d in days
        ]

    def _page(self, items: list[dict], seen: Seen) -> Reply:
        query = hashlib.sha256(json.dumps(seen.without_page()).encode()).hexdigest()[:16]
        offset = 0
        if seen.param("page"):
            try:
                cursor = json.loads(base64.urlsafe_b64decode(seen.param("page").removeprefix("page_")))
            except ValueError:
                return _error(400, "invalid_request_error", "bad page cursor")
            if cursor["q"] != query:
                return _error(400, "invalid_request_error", "page cursor used with different parameters")
            offset = cursor["offset"]
        size = min(int(seen.param("limit") or 7), self.page_size)
        chunk, rest = items[offset : offset + size], items[offset + size :]
        next_page = None
        if rest:
            token = json.dumps({"offset": offset + size, "q": query}).encode()
            next_page = "page_" + base64.urlsafe_b64encode(token).decode()
        body = {"data": chunk, "has_more": bool(rest), "next_page": next_page}
        return 200, {"request-id": "req_fake"}, json.dumps(body).encode()


def _error(status: int, kind: str, message: str, headers: dict | None = None) -> Reply:
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return status, headers or {}, json.dumps(body).encode()


def error_reply(status: int, headers: dict | None = None) -> Reply:
    """A reply an intercept can send: an Admin API error body with this status."""
    return _error(status, "api_error", f"failure {status}", headers)
