"""A small local stand-in for the Anthropic Messages API, for driving the real Claude Code CLI.

``MessagesStub`` is a threaded ``http.server`` on 127.0.0.1 that answers ``POST /v1/messages``
(streaming SSE or a plain JSON message, as the request asks) with a KNOWN usage per request,
and records every answer it gave (``answers``: request id, message id, model, the five token
classes) and every request it saw (``log``), so a test can compare what costdash counted with
what the "API" actually billed.

- Each answer's usage is distinct (``usage_for(n)``) and splits its cache writes 5m/1h, so a
  token class counted twice, dropped or priced at the wrong TTL shows in the totals.
- The model is echoed from the request, as the real API does.
- A prompt that mentions ``READ_MARKER`` gets a ``Read`` tool call first (when the request
  offers that tool) and a text answer once the tool result comes back, so one ``claude -p``
  makes two priced requests.
- ``POST /v1/messages/count_tokens`` answers a token count (no usage, not billed); anything
  else is logged in ``unknown`` and answered with an Anthropic-style 404 error.
- It doubles as a dead-end HTTP(S) proxy: point HTTP_PROXY/HTTPS_PROXY at ``stub.url`` (with
  NO_PROXY=127.0.0.1,localhost) and every attempt to reach another host is refused with 403 and
  listed in ``outbound``, so a test can show that nothing tried to leave the machine.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
import threading
from urllib.parse import urlsplit
import uuid

READ_MARKER = "costdash-e2e.txt"  # a prompt naming this file gets a Read tool call first


def usage_for(n: int) -> dict[str, int]:
    """The usage billed for the n-th (1-based) answered request: distinct in every class."""
    return {
        "input_tokens": 100 * n + 7,
        "output_tokens": 30 * n + 5,
        "cache_write_5m_tokens": 1000 * n + 11,
        "cache_write_1h_tokens": 2000 * n + 13,
        "cache_read_tokens": 5000 * n + 17,
    }


@dataclass
class Answer:
    """One request the stub answered with usage: what it billed."""

    n: int
    request_id: str
    message_id: str
    model: str
    stream: bool
    at: datetime
    input_tokens: int
    output_tokens: int
    cache_write_5m_tokens: int
    cache_write_1h_tokens: int
    cache_read_tokens: int
    stop_reason: str

    def usage_json(self, output_tokens: int | None = None) -> dict:
        """The API's ``usage`` object for this answer (``output_tokens`` overridable: message_start)."""
        writes = self.cache_write_5m_tokens + self.cache_write_1h_tokens
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": writes,
            "cache_read_input_tokens": self.cache_read_tokens,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.cache_write_5m_tokens,
                "ephemeral_1h_input_tokens": self.cache_write_1h_tokens,
            },
            "output_tokens": self.output_tokens if output_tokens is None else output_tokens,
            "service_tier": "standard",
        }


@dataclass
class Seen:
    """One HTTP request the stub received."""

    method: str
    path: str
    status: int = 0
    headers: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)  # the interesting parts of a Messages request body
    body_head: str = ""  # the first bytes of a body the stub did not understand

    def line(self) -> str:
        return json.dumps(asdict(self), default=str)


class MessagesStub:
    """Start with ``with MessagesStub() as stub:``; ``stub.url`` is the ANTHROPIC_BASE_URL."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._lock = threading.Lock()
        self.answers: list[Answer] = []
        self.log: list[Seen] = []
        self.unknown: list[Seen] = []
        self.outbound: list[Seen] = []  # proxy requests: attempts to reach a host other than 127.0.0.1
        self.count_tokens_calls = 0
        stub = self

        class Handler(_Handler):
            owner = stub

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, name="messages-stub", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> MessagesStub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def report(self) -> str:
        """Every request seen and every answer given, for a failure message."""
        with self._lock:
            seen = "\n".join(s.line() for s in self.log) or "(no requests)"
            given = "\n".join(json.dumps(asdict(a), default=str) for a in self.answers) or "(no answers)"
        return f"stub requests:\n{seen}\nstub answers with usage:\n{given}"

    # --- used by the handler -------------------------------------------------------------

    def _record(self, seen: Seen, unknown: bool = False, outbound: bool = False) -> None:
        with self._lock:
            self.log.append(seen)
            if unknown:
                self.unknown.append(seen)
            if outbound:
                self.outbound.append(seen)

    def _answer(self, model: str, stream: bool, stop_reason: str) -> Answer:
        with self._lock:
            n = len(self.answers) + 1
            answer = Answer(
                n=n, request_id=f"req_011CStub{uuid.uuid4().hex[:20]}", message_id=f"msg_01Stub{uuid.uuid4().hex[:20]}",
                model=model, stream=stream, at=datetime.now(UTC), stop_reason=stop_reason, **usage_for(n),
            )
            self.answers.append(answer)
        return answer


class _Handler(BaseHTTPRequestHandler):
    owner: MessagesStub
    protocol_version = "HTTP/1.1"  # keep-alive, as the CLI's HTTP client expects
    timeout = 60  # an idle kept-alive connection is closed after this
    server_version = "costdash-messages-stub/1"

    def log_message(self, format, *args):  # quiet: the owner keeps its own log
        pass

    # --- dispatch ----------------------------------------------------------------------

    def do_CONNECT(self):
        """An HTTPS proxy tunnel request: someone tried to reach another host. Refused."""
        self._refuse_outbound(Seen("CONNECT", self.path, headers=self._headers_seen()))

    def do_POST(self):
        body = self._read_body()
        if not self.path.startswith("/"):  # an absolute URI: a plain-HTTP proxy request
            return self._refuse_outbound(Seen(self.command, self.path, headers=self._headers_seen()))
        path = urlsplit(self.path).path.rstrip("/")
        seen = Seen("POST", self.path, headers=self._headers_seen())
        if path == "/v1/messages":
            self._messages(seen, body)
        elif path == "/v1/messages/count_tokens":
            self._count_tokens(seen, body)
        else:
            seen.body_head = body[:2000].decode("utf-8", "replace")
            self._not_found(seen)

    def do_GET(self):
        if not self.path.startswith("/"):
            return self._refuse_outbound(Seen("GET", self.path, headers=self._headers_seen()))
        self._not_found(Seen("GET", self.path, headers=self._headers_seen()))

    def do_HEAD(self):
        seen = Seen("HEAD", self.path, headers=self._headers_seen(), status=200)
        self.owner._record(seen, unknown=True)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PUT = do_DELETE = do_PATCH = do_POST

    # --- endpoints ---------------------------------------------------------------------

    def _messages(self, seen: Seen, raw: bytes) -> None:
        try:
            request = json.loads(raw or b"{}")
        except ValueError:
            seen.body_head = raw[:2000].decode("utf-8", "replace")
            return self._error(seen, 400, "invalid_request_error", "body is not JSON")
        model = request.get("model") or "claude-sonnet-4-6"
        stream = bool(request.get("stream"))
        tool = _tool_call_for(request)
        seen.summary = {
            "model": model, "stream": stream, "max_tokens": request.get("max_tokens"),
            "messages": len(request.get("messages") or []), "tools": [t.get("name") for t in request.get("tools") or []][:60],
            "keys": sorted(request), "metadata": request.get("metadata"), "thinking": request.get("thinking"),
            "last_user": _last_user_text(request)[:300], "tool_call": tool,
        }
        answer = self.owner._answer(model, stream, "tool_use" if tool else "end_turn")
        text = f"Hi! (stub answer {answer.n})"
        if tool:
            blocks = [{"type": "tool_use", "id": f"toolu_01Stub{uuid.uuid4().hex[:16]}", "name": tool[0], "input": tool[1]}]
        else:
            blocks = [{"type": "text", "text": text}]
        seen.status = 200
        self.owner._record(seen)
        if stream:
            self._sse(answer, blocks)
        else:
            self._json(200, {
                "id": answer.message_id, "type": "message", "role": "assistant", "model": model, "content": blocks,
                "stop_reason": answer.stop_reason, "stop_sequence": None, "usage": answer.usage_json(),
            }, answer.request_id)

    def _count_tokens(self, seen: Seen, raw: bytes) -> None:
        with self.owner._lock:
            self.owner.count_tokens_calls += 1
        seen.status = 200
        self.owner._record(seen)
        self._json(200, {"input_tokens": max(1, len(raw) // 4)}, _request_id())

    def _not_found(self, seen: Seen) -> None:
        seen.status = 404
        self.owner._record(seen, unknown=True)
        self._json(404, {"type": "error", "error": {"type": "not_found_error", "message": f"stub: no {seen.path}"}},
                   _request_id())

    def _refuse_outbound(self, seen: Seen) -> None:
        seen.status = 403
        self.owner._record(seen, outbound=True)
        data = b"costdash e2e stub: no traffic may leave 127.0.0.1"
        self.send_response(403)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def _error(self, seen: Seen, status: int, kind: str, message: str) -> None:
        seen.status = status
        self.owner._record(seen, unknown=True)
        self._json(status, {"type": "error", "error": {"type": kind, "message": message}}, _request_id())

    # --- writing -----------------------------------------------------------------------

    def _sse(self, answer: Answer, blocks: list[dict]) -> None:
        """The event sequence the real API streams: message_start (input-side usage, output 1),
        per block content_block_start/delta/stop, message_delta (final usage), message_stop."""
        events = [("message_start", {"type": "message_start", "message": {
            "id": answer.message_id, "type": "message", "role": "assistant", "model": answer.model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": answer.usage_json(output_tokens=1),
        }}), ("ping", {"type": "ping"})]
        for index, block in enumerate(blocks):
            if block["type"] == "text":
                start, deltas = {"type": "text", "text": ""}, [
                    {"type": "text_delta", "text": piece} for piece in _pieces(block["text"])
                ]
            else:
                start = {**block, "input": {}}
                deltas = [{"type": "input_json_delta", "partial_json": json.dumps(block["input"])}]
            events.append(("content_block_start", {"type": "content_block_start", "index": index, "content_block": start}))
            events += [("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d}) for d in deltas]
            events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        final = answer.usage_json()
        final.pop("cache_creation")  # message_delta carries the cumulative counts, not the TTL split
        final.pop("service_tier")
        events.append(("message_delta", {
            "type": "message_delta", "delta": {"stop_reason": answer.stop_reason, "stop_sequence": None}, "usage": final,
        }))
        events.append(("message_stop", {"type": "message_stop"}))
        data = "".join(f"event: {name}\ndata: {json.dumps(payload)}\n\n" for name, payload in events).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("request-id", answer.request_id)
        self.send_header("anthropic-organization-id", "00000000-0000-4000-8000-00000000e2e0")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _json(self, status: int, payload: dict, request_id: str) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("request-id", request_id)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            return self.rfile.read(length)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        return b""

    def _headers_seen(self) -> dict:
        shown = {}
        for key, value in self.headers.items():
            if key.lower() in ("x-api-key", "authorization"):
                value = value[:6] + "…"
            shown[key.lower()] = value
        return shown


def _request_id() -> str:
    return f"req_011CStub{uuid.uuid4().hex[:20]}"


def _pieces(text: str) -> list[str]:
    middle = len(text) // 2
    return [text[:middle], text[middle:]] if middle else [text]


def _last_user_text(request: dict) -> str:
    """The text of the last user message (strings and text blocks)."""
    for message in reversed(request.get("messages") or []):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        parts = []
        for block in content or []:
            if block.get("type") == "text":
                parts.append(block.get("text", ""))
            elif block.get("type") == "tool_result":
                parts.append("[tool_result]")
        return " ".join(parts)
    return ""


def _tool_call_for(request: dict) -> tuple[str, dict] | None:
    """("Read", {"file_path": …}) when the prompt names READ_MARKER, the request offers Read and
    no tool result has come back yet; else None (answer with text)."""
    messages = request.get("messages") or []
    tools = {t.get("name") for t in request.get("tools") or []}
    if "Read" not in tools:
        return None
    texts, has_result, path = [], False, ""
    for message in messages:
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        for block in blocks:
            if block.get("type") == "tool_result":
                has_result = True
            elif block.get("type") == "text" and message.get("role") == "user":
                texts.append(block.get("text", ""))
    for text in texts:
        for word in text.split():
            if word.strip(".,'\"`").endswith(READ_MARKER):
                path = word.strip(".,'\"`")
    if not path or has_result:
        return None
    return "Read", {"file_path": path}
