"""What every transport shares: the Message it sends, TransportError, the Transport interface, and the
one HTTP path for webhook-style transports (lib/http.py's POST)."""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.validators import URLValidator

from costdash.lib.http import HttpError, http_post

IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Message:
    """One alert (or test) as transports send it. ``url``: the absolute link to the page that
    explains it; ``payload``: the JSON a webhook receives; ``developer_email``: the developer the
    alert is about, if any. ``idempotency_key``: the same for every attempt at one alert
    ("costdash-alert-<id>"; a test message's is its own), so a receiver dedupes on it."""

    subject: str
    text: str
    headline: str
    url: str
    payload: dict = field(default_factory=dict)
    developer_email: str = ""
    event_id: int | None = None
    idempotency_key: str = ""
    label: str = "test"  # what X-Costdash-Event says when there is no event: "test" or "digest"

    @property
    def event_header(self) -> str:
        return str(self.event_id) if self.event_id else self.label


class TransportError(Exception):
    """A delivery that did not happen. ``permanent``: trying again cannot help (a bad address, a 4xx
    other than 408/429, an SMTP 5xx), so the channel is disabled with this message as the reason.
    ``code``: the HTTP status or SMTP reply code, when there was one. ``unknown``: the message went
    out whole and no answer came (timed out): the receiver may have it. Messages never hold a secret."""

    def __init__(self, message: str, *, permanent: bool, code: int | None = None, unknown: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.code = code
        self.unknown = unknown


class Transport:
    kind = ""
    label = ""
    target_label = ""
    target_help = ""
    target_is_secret = True  # never shown again once saved; the page shows hint() instead
    needs_signing_secret = False

    def config_from(self, target: str, signing_secret: str, current: dict | None) -> dict:
        """The channel's settings from the form. An empty ``target`` / ``signing_secret`` keeps the
        ``current`` one (editing); raises forms.ValidationError, never echoing a secret."""
        raise NotImplementedError

    def hint(self, config: dict) -> str:
        raise NotImplementedError

    def send(self, channel, config: dict, message: Message) -> int | None:
        """Deliver ``message``; returns the HTTP status or SMTP code; raises TransportError."""
        raise NotImplementedError


def url_hint(url: str) -> str:
    """What a page shows of a webhook URL (its path is the secret): scheme, host, last 4 characters."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…{url.rstrip('/')[-4:]}"


def url_config(target: str, current: dict | None, what: str) -> dict:
    """{"url": ...} from a URL field that keeps the stored URL when left empty."""
    url = target.strip()
    if not url:
        if current and current.get("url"):
            return {"url": current["url"]}
        raise forms.ValidationError({"target": f"Enter the {what} URL."})
    try:
        URLValidator(schemes=["http", "https"])(url)
    except forms.ValidationError:
        raise forms.ValidationError({"target": f"That is not an http(s) URL: enter the {what} URL."}) from None
    return {"url": url}


def post_json(url: str, body: bytes, headers: dict[str, str], label: str, message: Message) -> int:
    """POST a JSON body through lib/http.py with ``message``'s Idempotency-Key, waiting at most
    COSTDASH_ALERT_HTTP_TIMEOUT_SECONDS; HttpError becomes TransportError (named by ``label``)."""
    if message.idempotency_key:
        headers = {IDEMPOTENCY_HEADER: message.idempotency_key, **headers}
    timeout = settings.COSTDASH_ALERT_HTTP_TIMEOUT_SECONDS
    try:
        response = http_post(url, body, timeout=timeout, label=label, headers={
            "Content-Type": "application/json", "User-Agent": "costdash-alerts", **headers})
    except HttpError as exc:
        raise TransportError(str(exc), permanent=exc.permanent, code=exc.status, unknown=exc.unknown) from None
    return response.status
