"""E-mail through Django's mail (EMAIL_* settings from the environment): to the channel's addresses,
and, when the channel says so (``notify_developer``), to the developer an alert is about.

The developer's copy is the same message in the same SMTP transaction (one attempt, one claim:
exactly once holds per alert and channel), with the developer in Cc so they see it is theirs. A
channel that notifies developers may have no addresses of its own: it then writes to the developer
alone, and routing gives it only alerts about a developer. A digest never goes to a developer; a
test goes to its sender in the developer's place, to show what a developer receives."""
from __future__ import annotations

import smtplib

from django import forms
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email

from .base import Message, Transport, TransportError

MAX_ADDRESSES = 20


def _smtp_error(exc: Exception) -> TransportError:
    """An SMTP failure: a 5xx reply is permanent, a 4xx or no reply is worth trying again."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        refused = ", ".join(f"{address} ({code} {reply.decode(errors='replace')})"
                            for address, (code, reply) in exc.recipients.items())
        return TransportError(f"SMTP refused every recipient: {refused}", permanent=min(codes) >= 500,
                              code=max(codes))
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return TransportError(f"SMTP {exc.smtp_code} {reply}", permanent=exc.smtp_code >= 500, code=exc.smtp_code)
    where = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    return TransportError(f"SMTP server {where}: {exc or type(exc).__name__}", permanent=False)


class EmailTransport(Transport):
    kind = "email"
    label = "E-mail"
    target_label = "Addresses"
    target_help = "One or more e-mail addresses, separated by commas."
    target_is_secret = False

    def config_from(self, target, signing_secret, current, allow_none: bool = False):
        """``allow_none``: the channel notifies the developer, so it may have no addresses of its own."""
        addresses = [a.strip() for a in target.replace(";", ",").split(",") if a.strip()]
        if not addresses and not allow_none:
            raise forms.ValidationError({"target": "Enter at least one e-mail address (or tick “also to the "
                                                   "developer” for a channel that writes to developers only)."})
        if len(addresses) > MAX_ADDRESSES:
            raise forms.ValidationError({"target": f"At most {MAX_ADDRESSES} addresses."})
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError:
                raise forms.ValidationError({"target": f"{address} is not an e-mail address."}) from None
        return {"to": addresses}

    def hint(self, config):
        return ", ".join(config["to"]) or "the developer concerned only"

    def send(self, channel, config, message: Message):
        to, cc = list(config["to"]), []
        developer = message.developer_email if channel.notify_developer else ""
        if developer and developer not in to:
            (cc if to else to).append(developer)
        if not to:
            raise TransportError("This channel writes to the developer concerned only, and this message is about "
                                 "no developer.", permanent=False)
        email = EmailMessage(
            subject=message.subject, body=message.text, from_email=settings.DEFAULT_FROM_EMAIL, to=to, cc=cc,
            headers={"X-Costdash-Event": message.event_header},
            connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
        )
        try:
            email.send()
        except (smtplib.SMTPException, OSError) as exc:
            raise _smtp_error(exc) from None
        return 250
