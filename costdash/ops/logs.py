"""Log lines: plain text or JSON (settings COSTDASH_LOG_FORMAT), with secrets masked in both.

JSON is one object per line: time (UTC, ISO 8601), level, logger, message, request_id (the request being served,
from costdash.ops.middleware, when there is one), and exc_info (the traceback) when an exception is logged.

Masked in every line, message and traceback alike: ingest and API tokens (cdi_..., cdk_...), Anthropic and LiteLLM
keys (sk-...), bearer credentials, key=value or key: value pairs named password, secret, api_key or authorization,
the password in any URL (scheme://user:password@host), and the configured secrets themselves (DJANGO_SECRET_KEY,
the database's, Redis's and e-mail's passwords, the OpenID Connect client secret, the metrics token). A line that
holds one shows [masked] in its place.
"""
from __future__ import annotations

import contextvars
from datetime import UTC, datetime
import functools
import logging
import re

import orjson

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("costdash_request_id", default="")

MASK = "[masked]"
ACCESS_FIELDS = ("method", "view", "status", "duration_ms")
PATTERNS = (  # (pattern, replacement), applied in this order
    (re.compile(r"\bcd[a-z]_[A-Za-z0-9_-]{16,}"), MASK),  # costdash's own tokens: cdi_ (ingest), cdk_ (API)
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"), MASK),  # Anthropic Admin API keys, LiteLLM master keys
    (re.compile(r"(?i)(\bbearer\s+)[^\s\"',;]+"), r"\1" + MASK),
    (re.compile(r"(?i)(\b(?:authorization|x-costdash-token|api[_-]?key|password|passwd|secret|client_secret)"
                r"[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?)[^\s\"',;&]+"), r"\1" + MASK),
    (re.compile(r"(://[^/\s:@]*:)[^@/\s]+@"), r"\1" + MASK + "@"),  # a URL's password
)


def configured_secrets() -> tuple[str, ...]:
    """The secret values in the settings, longest first (none before the settings are loaded)."""
    from django.conf import settings

    return _settings_secrets() if settings.configured else ()


@functools.lru_cache(maxsize=1)
def _settings_secrets() -> tuple[str, ...]:
    from urllib.parse import urlsplit

    from django.conf import settings

    values = [settings.SECRET_KEY, getattr(settings, "EMAIL_HOST_PASSWORD", ""),
              getattr(settings, "COSTDASH_OIDC_CLIENT_SECRET", ""), getattr(settings, "COSTDASH_METRICS_TOKEN", ""),
              *getattr(settings, "COSTDASH_ENCRYPTION_KEYS", [])]
    values += [db.get("PASSWORD") or "" for db in settings.DATABASES.values()]
    for url in (getattr(settings, "REDIS_URL", ""), getattr(settings, "CELERY_BROKER_URL", "")):
        values.append(urlsplit(url).password or "")
    return tuple(sorted({v for v in values if len(v) >= 6}, key=len, reverse=True))


def mask_secrets(text: str) -> str:
    for secret in configured_secrets():
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class TextFormatter(logging.Formatter):
    """The plain format, secrets masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, secrets masked."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_secrets(record.getMessage()),
        }
        # Django logs a 4xx or 5xx answer (django.request) after the middleware has returned: the request rides along.
        if request_id := (request_id_var.get() or record.__dict__.get("request_id")
                          or getattr(getattr(record, "request", None), "request_id", "")):
            line["request_id"] = request_id
        for name in ACCESS_FIELDS:  # the access log's figures (costdash.ops.middleware)
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info:
            line["exc_info"] = mask_secrets(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exc_info"] = mask_secrets(record.exc_text)
        if record.stack_info:
            line["stack_info"] = mask_secrets(self.formatStack(record.stack_info))
        return orjson.dumps(line, default=str).decode()


class MaskingFormatter(logging.Formatter):
    """Another formatter's lines (Celery's own, in a worker or beat), secrets masked."""

    def __init__(self, inner: logging.Formatter | None):
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(self.inner.format(record))


def celery_logging_connect(log_format: str) -> None:
    """A Celery worker or beat replaces Django's logging with its own at start. With json, Django's (this module's
    JsonFormatter) is kept, at the level given on Celery's command line; with text, Celery's lines stay as they are,
    their secrets masked."""
    from celery.signals import after_setup_logger, after_setup_task_logger, setup_logging

    if log_format == "json":
        def keep_django_logging(loglevel=None, **kwargs) -> None:
            if loglevel:
                logging.getLogger().setLevel(loglevel)

        setup_logging.connect(keep_django_logging, weak=False, dispatch_uid="costdash.ops.keep_django_logging")
        return

    def mask_celery_lines(logger=None, **kwargs) -> None:
        for handler in logger.handlers if logger else ():
            if not isinstance(handler.formatter, (MaskingFormatter, TextFormatter, JsonFormatter)):
                handler.setFormatter(MaskingFormatter(handler.formatter))

    for signal in (after_setup_logger, after_setup_task_logger):
        signal.connect(mask_celery_lines, weak=False, dispatch_uid=f"costdash.ops.mask_{signal.name}")
