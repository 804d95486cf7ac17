"""Channel transports: one class per channel kind, in a registry (TRANSPORTS). Adding one = a module
here, one line in TRANSPORTS, one test file. Channel.kind's choices list the same keys."""
from .base import Message, Transport, TransportError
from .email import EmailTransport
from .slack import SlackTransport
from .webhook import WebhookTransport

TRANSPORTS: dict[str, Transport] = {t.kind: t for t in (EmailTransport(), SlackTransport(), WebhookTransport())}

__all__ = ["TRANSPORTS", "Message", "Transport", "TransportError"]
