"""A local stand-in for a LiteLLM proxy's management API: a real HTTP server on 127.0.0.1, in a thread.

It serves the two calls budgets use, with the request and answer shapes of LiteLLM's source
(litellm/proxy/management_endpoints/internal_user_endpoints.py and team_endpoints.py):

- ``POST /user/update``: needs user_id (or user_email); upserts the user (an unknown user_id is
  created, as prisma_client.update_data does); ``max_budget`` is applied whenever it is in the body,
  null included; other fields only when not null (``_update_internal_user_params``); a
  budget_duration sets budget_reset_at. Answers ``{"user_id": ..., "data": {...row...}}``. Its
  errors are ProxyExceptions: ``{"error": {"message", "type", "param", "code"}}``.
- ``POST /team/update``: needs team_id (400 ``{"detail": {"error": "No team id passed in"}}``); an
  unknown team is a 404 ``{"detail": {"error": "Team not found, passed team_id=..."}}``; every field
  sent is applied (``exclude_unset``). Answers ``{"team_id": ..., "data": {...row...}}``.

The master key goes as ``Authorization: Bearer <key>``; a wrong one gets LiteLLM's 401, whose message
here echoes the key it received back (as a careless server might), so a test can see costdash never
stores it. Every request is recorded in ``seen``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
import threading

DURATION_DAYS = {"1d": 1, "7d": 7, "1mo": 30}


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict | None


def proxy_error(message: str, code: int) -> tuple[int, dict]:
    return code, {"error": {"message": message, "type": "auth_error", "param": "None", "code": str(code)}}


class FakeLiteLLM:
    def __init__(self, master_key: str):
        self.master_key = master_key
        self.users: dict[str, dict] = {}
        self.teams: dict[str, dict] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeLiteLLM:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_team(self, team_id: str) -> None:
        self.teams[team_id] = {"team_id": team_id, "max_budget": None, "budget_duration": None, "spend": 0.0}

    def answer(self, path: str, headers: dict[str, str], body: dict | None) -> tuple[int, dict]:
        with self._lock:
            self.seen.append(Seen(path, headers, body))
            auth = headers.get("authorization", "")
            if auth != f"Bearer {self.master_key}":
                received = auth.removeprefix("Bearer ")
                return proxy_error("Authentication Error, Invalid proxy server token passed. Received API Key = "
                                   f"{received}, Key Hash (Token) =unknown. Unable to find token in cache or "
                                   "`LiteLLM_VerificationTokenTable`", 401)
            if body is None or not isinstance(body, dict):
                return 422, {"detail": [{"type": "json_invalid", "msg": "JSON decode error"}]}
            if path == "/user/update":
                return self._user_update(body)
            if path == "/team/update":
                return self._team_update(body)
            return 404, {"detail": "Not Found"}

    def _user_update(self, body: dict) -> tuple[int, dict]:
        user_id = body.get("user_id")
        if not user_id and not body.get("user_email"):
            return proxy_error("Authentication Error, Either user_id or user_email must be provided", 400)
        row = self.users.setdefault(user_id, {"user_id": user_id, "max_budget": None, "budget_duration": None,
                                              "spend": 0.0})
        for key, value in body.items():
            if key == "max_budget" or value is not None:
                row[key] = value
        if body.get("budget_duration") is not None:
            row["budget_reset_at"] = _reset_at(body["budget_duration"])
        return 200, {"user_id": user_id, "data": dict(row)}

    def _team_update(self, body: dict) -> tuple[int, dict]:
        team_id = body.get("team_id")
        if team_id is None:
            return 400, {"detail": {"error": "No team id passed in"}}
        if team_id not in self.teams:
            return 404, {"detail": {"error": f"Team not found, passed team_id={team_id}"}}
        row = self.teams[team_id]
        row.update(body)
        if body.get("budget_duration") is not None:
            row["budget_reset_at"] = _reset_at(body["budget_duration"])
        return 200, {"team_id": team_id, "data": dict(row)}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer = fake.answer(self.path, headers, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler


def _reset_at(duration: str) -> str:
    return (datetime.now(UTC) + timedelta(days=DURATION_DAYS.get(duration, 1))).isoformat()
