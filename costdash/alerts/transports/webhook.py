"""Generic webhook: the alert as JSON, signed so the receiver can tell it came from costdash.

Headers: ``X-Costdash-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the channel's
signing secret>``, ``X-Costdash-Timestamp`` (Unix seconds; the body's ``sent_at`` holds the same,
inside the signature, so a receiver can refuse old replays) and ``X-Costdash-Event`` (the alert id,
or "test"). A receiver recomputes the HMAC over the body exactly as received and compares it in
constant time (README, "Alerts").

Every attempt at one alert carries the same idempotency key ("costdash-alert-<id>") in the
``Idempotency-Key`` header and, signed, in the body's ``idempotency_key``: an attempt that timed out
may have arrived, and its retry must be recognisable as the same alert.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time

from django import forms

from .base import Message, Transport, post_json, url_config, url_hint

MIN_SECRET = 16
SIGNATURE_HEADER = "X-Costdash-Signature"
TIMESTAMP_HEADER = "X-Costdash-Timestamp"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookTransport(Transport):
    kind = "webhook"
    label = "Webhook (signed JSON)"
    target_label = "URL"
    target_help = "Receives a POST of the alert as JSON. Stored encrypted; only its host is shown again."
    needs_signing_secret = True

    def config_from(self, target, signing_secret, current):
        config = url_config(target, current, "webhook")
        secret = signing_secret.strip()
        if not secret:
            if not (current and current.get("secret")):
                raise forms.ValidationError(
                    {"signing_secret": "Enter a signing secret: the receiver checks each body's signature with it."})
            secret = current["secret"]
        elif len(secret) < MIN_SECRET:
            raise forms.ValidationError(
                {"signing_secret": f"Use a signing secret of at least {MIN_SECRET} characters."})
        return {**config, "secret": secret}

    def hint(self, config):
        return url_hint(config["url"])

    def send(self, channel, config, message: Message):
        sent_at = int(time.time())
        fields = {**message.payload, "sent_at": sent_at, "idempotency_key": message.idempotency_key}
        body = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
        headers = {
            SIGNATURE_HEADER: signature(config["secret"], body),
            TIMESTAMP_HEADER: str(sent_at),
            "X-Costdash-Event": message.event_header,
        }
        return post_json(config["url"], body, headers, label=f"webhook {url_hint(config['url'])}", message=message)
