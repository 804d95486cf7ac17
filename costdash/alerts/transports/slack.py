"""Slack incoming webhook: a message with the alert's line and a link. Any receiver of Slack's
payload works (Mattermost, Rocket.Chat). The URL is the secret: stored encrypted, shown as a hint.
Every attempt at one alert carries the same ``Idempotency-Key`` header (Slack's body has no room for it)."""
from __future__ import annotations

import json

from .base import Message, Transport, post_json, url_config, url_hint


def _escape(text: str) -> str:
    """Slack's mrkdwn control characters, escaped as its docs ask."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackTransport(Transport):
    kind = "slack"
    label = "Slack incoming webhook"
    target_label = "Webhook URL"
    target_help = ("https://hooks.slack.com/services/… from Slack → Apps → Incoming Webhooks. It is a secret: "
                   "stored encrypted, never shown again.")

    def config_from(self, target, signing_secret, current):
        return url_config(target, current, "Slack webhook")

    def hint(self, config):
        return url_hint(config["url"])

    def send(self, channel, config, message: Message):
        text = f"*{_escape(message.subject)}*\n{_escape(message.headline)}\n<{message.url}|Open in costdash>"
        body = json.dumps({"text": text}).encode()
        return post_json(config["url"], body, {}, label=f"Slack webhook {url_hint(config['url'])}", message=message)
