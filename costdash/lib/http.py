"""The one place costdash calls out over HTTP (design rule 6): standard library only, always a timeout.

``http_get`` and ``http_post`` return the response of a 2xx, and raise ``HttpError`` for anything
else: an HTTP status outside 2xx, or no response at all (refused, reset, timed out, bad TLS). ``permanent``
says whether asking again can help: a 4xx other than 408 and 429 is the caller's fault (a bad
key, a missing endpoint) and is permanent; 408, 429, 5xx and network errors are transient.
Messages name the URL and status, never a request header, so a secret sent in one cannot leak
through an exception. A POST names only the URL's scheme and host unless its caller passes a
``label``: webhook URLs carry their secret in the path. A POST never follows a redirect (a webhook
that moved must be entered again; re-sending its body elsewhere is not ours to decide): a 3xx is a
permanent error.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import Message
import socket
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_TIMEOUT = 30.0
MAX_BODY = 64 * 1024 * 1024  # a single response larger than this is refused, not buffered
ERROR_BODY_SHOWN = 300
TRANSIENT_STATUSES = frozenset({408, 429})


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Message  # case-insensitive: headers["retry-after"]
    body: bytes


class HttpError(Exception):
    """A call that did not succeed. ``status`` is None when no response came back; ``retry_after``
    is the response's Retry-After header as sent (or None); ``body`` is the start of the error body."""

    def __init__(self, message: str, *, status: int | None, permanent: bool, retry_after: str | None = None,
                 body: str = ""):
        super().__init__(message)
        self.status = status
        self.permanent = permanent
        self.retry_after = retry_after
        self.body = body


def is_permanent(status: int) -> bool:
    """Whether an HTTP error status will come back the same however often the call is repeated."""
    return 400 <= status < 500 and status not in TRANSIENT_STATUSES


def http_get(
    url: str,
    *,
    params: Iterable[tuple[str, str]] | Mapping[str, str] = (),
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> HttpResponse:
    """GET ``url`` with ``params`` as its query string (pairs may repeat a name, e.g. "group_by[]").

    Returns the 2xx response whole; raises HttpError otherwise (see the module docstring).
    """
    items = list(params.items()) if isinstance(params, Mapping) else list(params)
    if items:
        url = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(items)}"
    shown = url.split("?", 1)[0]  # query strings are shown by callers that know they hold no secret
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise HttpError(f"GET {shown}: only http and https URLs are fetched", status=None, permanent=True)
    request = urllib.request.Request(url, headers=dict(headers or {}), method="GET")
    return _send(urllib.request.urlopen, request, f"GET {shown}", timeout)


def http_post(
    url: str,
    body: bytes,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    label: str | None = None,
) -> HttpResponse:
    """POST ``body`` to ``url``. Returns the 2xx response whole; raises HttpError otherwise (see the
    module docstring). Errors name ``label``, else only the URL's scheme and host."""
    parts = urllib.parse.urlsplit(url)
    shown = f"POST {label or f'{parts.scheme}://{parts.netloc}'}"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HttpError(f"{shown}: only http and https URLs are called", status=None, permanent=True)
    request = urllib.request.Request(url, data=body, headers=dict(headers or {}), method="POST")
    return _send(_no_redirects.open, request, shown, timeout)


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises the 3xx as an HTTPError


_no_redirects = urllib.request.build_opener(_RefuseRedirects)


def _send(open_url, request: urllib.request.Request, shown: str, timeout: float) -> HttpResponse:
    try:
        with open_url(request, timeout=timeout) as response:
            body = response.read(MAX_BODY + 1)
            if len(body) > MAX_BODY:
                raise HttpError(f"{shown}: response larger than {MAX_BODY} bytes", status=response.status,
                                permanent=True)
            return HttpResponse(status=response.status, headers=response.headers, body=body)
    except urllib.error.HTTPError as exc:
        text = _error_body(exc)
        redirected = 300 <= exc.code < 400
        raise HttpError(
            f"{shown}: HTTP {exc.code}{' (redirected elsewhere: enter the new address)' if redirected else ''}"
            f"{f' {text}' if text else ''}", status=exc.code,
            permanent=redirected or is_permanent(exc.code),
            retry_after=exc.headers.get("retry-after") if exc.headers else None, body=text,
        ) from None
    except (urllib.error.URLError, TimeoutError, socket.timeout, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise HttpError(f"{shown}: no response ({reason})", status=None, permanent=False) from None


def _error_body(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read(ERROR_BODY_SHOWN)
    except OSError:
        return ""
    finally:
        exc.close()
    return raw.decode("utf-8", "replace").strip().replace("\n", " ")
