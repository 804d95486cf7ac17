"""The WSGI application: Django's handler, with a shorter middleware chain for machine-to-machine receivers.

The live receivers (OTLP logs and metrics, the LiteLLM callback, the transcript push) are called by programs with
an ingest token, hundreds of times a second in a burst; they use no session, login, CSRF token, message, page
header (CSP, X-Frame-Options) or login lockout, and those middleware cost ~0.4 ms of CPU a request. A view marked
with ``lean_middleware`` (costdash.ingest.receivers.receiver_endpoint) is served, at its exact path, through
RECEIVER_MIDDLEWARE only: the ops middleware (request id, latency and refusal metrics, access log), Django's
security middleware (HTTPS redirect, HSTS) and common middleware (ALLOWED_HOSTS). Every other path, and a
receiver's path spelled otherwise (a trailing slash), goes through settings.MIDDLEWARE as before. Django's test
client builds its own handler with settings.MIDDLEWARE: the views behave the same through either chain.
"""
from __future__ import annotations

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.urls import URLPattern, get_resolver

RECEIVER_KEEPS = {
    "costdash.ops.middleware.OpsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
}


def receiver_paths() -> frozenset[str]:
    """The PATH_INFO of each top-level URL of ROOT_URLCONF whose view is marked ``lean_middleware``."""
    return frozenset(f"/{pattern.pattern}" for pattern in get_resolver().url_patterns
                     if isinstance(pattern, URLPattern) and getattr(pattern.callback, "lean_middleware", False))


class ReceiverHandler(WSGIHandler):
    """Django's WSGIHandler with the middleware of settings.MIDDLEWARE that are in RECEIVER_KEEPS, in its order."""

    def load_middleware(self, is_async=False):
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = [path for path in full if path in RECEIVER_KEEPS]  # at start-up, before any request
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


class CostdashHandler(WSGIHandler):
    """settings.MIDDLEWARE for every path but the receivers' (receiver_paths()), which ReceiverHandler serves."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.receivers = ReceiverHandler()
        self.receiver_paths = receiver_paths()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") in self.receiver_paths:
            return self.receivers(environ, start_response)
        return super().__call__(environ, start_response)
