"""The request middleware of costdash.ops: a request id for the logs, and the request's time for /metrics.

First in settings.MIDDLEWARE, so the time covers every other middleware. The URL name labels the latency (not the
path, which would give one series per developer, batch or token id); a path that matches no URL is "unmatched".
"""
from __future__ import annotations

import logging
import re
import time
import uuid

from django.conf import settings

from .logs import request_id_var
from .metrics import BODIES_REFUSED, INGEST_VIEWS, REQUEST_SECONDS

REQUEST_ID_HEADER = "X-Request-ID"
access_log = logging.getLogger("costdash.access")
# A proxy's or load balancer's request id is kept when it is a plain token (so a log line can be matched with
# the proxy's); anything else (too long, or characters that could forge a log line) is replaced by our own.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class OpsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = offered if SAFE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        request.request_id = request_id  # for lines logged after this middleware returns (django.request's)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match else "unmatched"
        status = response.status_code
        REQUEST_SECONDS.labels(view, request.method if request.method in METHODS else "other",
                               f"{status // 100}xx").observe(elapsed)
        if status >= 400 and view in INGEST_VIEWS:
            BODIES_REFUSED.labels(INGEST_VIEWS[view], str(status)).inc()
        response[REQUEST_ID_HEADER] = request_id
        if settings.COSTDASH_ACCESS_LOG:
            # One line per request, by URL name, never the path (an invite's or a password reset's link holds its
            # token there); with JSON logs the figures are fields of their own.
            access_log.info("%s %s %s %.1f ms", request.method, view, status, elapsed * 1000, extra={
                "request_id": request_id, "method": request.method, "view": view, "status": status,
                "duration_ms": round(elapsed * 1000, 1)})
        return response


METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
