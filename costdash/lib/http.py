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

A request carrying a credential header (``CREDENTIAL_HEADERS``: an API key, Authorization, a cookie)
goes only to an https URL, or to a loopback host over plain http when
COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK is on (tests): otherwise it is refused before anything is sent,
whatever the caller's form let through (defence in depth: a database edited by hand).

``HttpError.unknown`` is True when the request went out whole and then no answer came (timed out or
dropped while waiting): the receiver may have acted on it, so a caller must not report it as not
delivered.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import Message
import http.client
import ipaddress
import socket
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_TIMEOUT = 30.0
MAX_BODY = 64 * 1024 * 1024  # a single response larger than this is refused, not buffered
ERROR_BODY_SHOWN = 300
TRANSIENT_STATUSES = frozenset({408, 429})
CREDENTIAL_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization", "cookie"})


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Message  # case-insensitive: headers["retry-after"]
    body: bytes


class HttpError(Exception):
    """A call that did not succeed. ``status`` is None when no response came back; ``retry_after``
    is the response's Retry-After header as sent (or None); ``body`` is the start of the error body."""

    def __init__(self, message: str, *, status: int | None, permanent: bool, retry_after: str | None = None,
                 body: str = "", unknown: bool = False):
        super().__init__(message)
        self.status = status
        self.permanent = permanent
        self.retry_after = retry_after
        self.body = body
        self.unknown = unknown


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (a URL's hostname) is this machine: localhost, 127.0.0.0/8 or ::1."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_allowed(host: str | None) -> bool:
    """Whether a secret may go to ``host`` over plain http: only a loopback host, and only when
    COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK is on."""
    from django.conf import settings  # read at call time: tests turn it on and off

    return bool(getattr(settings, "COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK", False)) and is_loopback(host)


def secret_may_go_to(url: str) -> bool:
    """Whether a request carrying a credential may be sent to ``url`` (see the module docstring)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and plain_http_allowed(parts.hostname)


def _refuse_clear_secrets(url: str, headers: Mapping[str, str] | None, shown: str) -> None:
    if any(name.lower() in CREDENTIAL_HEADERS for name in headers or {}) and not secret_may_go_to(url):
        raise HttpError(f"{shown}: refused to send a credential over plain http to a host that is not "
                        "loopback-and-allowed: use an https URL", status=None, permanent=True)


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
    _refuse_clear_secrets(url, headers, f"GET {shown}")
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
    _refuse_clear_secrets(url, headers, shown)
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
    except urllib.error.URLError as exc:
        # urllib wraps what fails while connecting or sending: the request did not get there whole.
        raise HttpError(f"{shown}: no response ({exc.reason or exc})", status=None, permanent=False) from None
    except (TimeoutError, socket.timeout, OSError, http.client.HTTPException) as exc:
        # Raised unwrapped while waiting for or reading the answer: the request went out whole.
        raise HttpError(f"{shown}: no response after the request was sent ({exc or type(exc).__name__}); "
                        "it may have been received", status=None, permanent=False, unknown=True) from None


def _error_body(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read(ERROR_BODY_SHOWN)
    except OSError:
        return ""
    finally:
        exc.close()
    return raw.decode("utf-8", "replace").strip().replace("\n", " ")
