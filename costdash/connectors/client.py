"""Calls to the Anthropic Admin API: authentication headers, retries with backoff, one page at a time.

A transient failure (429, 408, 5xx, no response) is retried with exponential backoff, a 429
waiting what its Retry-After asks (capped); a permanent one (401, 403, 404, other 4xx) is not.
Every error message is stripped of the admin key before it leaves this module, whatever the
server echoed back.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
import logging
import time

import orjson

from costdash.lib.http import HttpError, http_get

from .endpoints import Params

log = logging.getLogger(__name__)
API_VERSION = "2023-06-01"
REDACTED = "[admin key]"


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` calls at most; the n-th retry waits ``base * 2**(n-1)`` seconds, at most ``cap``;
    a Retry-After is honoured up to ``retry_after_cap`` seconds."""

    attempts: int = 5
    base: float = 2.0
    cap: float = 60.0
    retry_after_cap: float = 120.0
    timeout: float = 60.0

    def delay(self, retry: int, retry_after: str | None) -> float:
        asked = retry_after_seconds(retry_after)
        if asked is not None:
            return min(asked, self.retry_after_cap)
        return min(self.cap, self.base * 2 ** (retry - 1))


class PullError(Exception):
    """A call that failed for good: ``permanent`` ones stop the whole run (a bad key stays bad)."""

    def __init__(self, message: str, *, permanent: bool, status: int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.status = status


@dataclass(frozen=True)
class Page:
    body: bytes
    has_more: bool
    next_page: str


class AdminApiClient:
    def __init__(self, base_url: str, key: str, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url.rstrip("/")
        self._headers = {"x-api-key": key, "anthropic-version": API_VERSION, "accept": "application/json"}
        self._key = key
        self.retry = retry or RetryPolicy()
        self.sleep = sleep

    def __repr__(self) -> str:
        return f"<AdminApiClient {self.base_url}>"

    def redact(self, text: str) -> str:
        """``text`` with the admin key (if it appears at all) replaced."""
        return text.replace(self._key, REDACTED) if self._key else text

    def page(self, path: str, params: Params) -> Page:
        """One page of ``path`` with ``params``, retried while the failure is transient.

        Raises PullError (key-free message) when the call fails for good or the retries run out,
        or when the body is not an Admin API page (no JSON object with has_more/next_page).
        """
        url = f"{self.base_url}{path}"
        for attempt in range(1, self.retry.attempts + 1):
            try:
                response = http_get(url, params=params, headers=self._headers, timeout=self.retry.timeout)
            except HttpError as exc:
                message = self.redact(str(exc))
                if exc.permanent or attempt == self.retry.attempts:
                    tried = "" if exc.permanent else f" (gave up after {attempt} attempts)"
                    raise PullError(f"{message}{tried}", permanent=exc.permanent, status=exc.status) from None
                wait = self.retry.delay(attempt, exc.retry_after if exc.status == 429 else None)
                log.warning("%s; retry %d of %d in %.1f s", message, attempt, self.retry.attempts - 1, wait)
                self.sleep(wait)
                continue
            return _page(url, response.body)
        raise AssertionError("unreachable: the last attempt returns or raises")


def _page(url: str, body: bytes) -> Page:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise PullError(f"GET {url}: the response is not JSON ({len(body)} bytes)", permanent=False) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("has_more", False), bool):
        raise PullError(f"GET {url}: the response is not an Admin API page (no has_more)", permanent=False)
    has_more, next_page = doc.get("has_more", False), doc.get("next_page")
    if has_more and (not isinstance(next_page, str) or not next_page):
        raise PullError(f"GET {url}: has_more is true but next_page is missing", permanent=False)
    return Page(body=body, has_more=has_more, next_page=next_page if has_more else "")


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for: a number of seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
