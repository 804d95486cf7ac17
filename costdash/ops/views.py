"""Health for load balancers and metrics for Prometheus: no login (a probe has none).

/healthz/ (liveness): this process answers; touches nothing else.
/readyz/ (readiness): the checks of costdash.ops.health, 200 when all pass, 503 naming the failing ones;
  ?checks=database,broker limits it to those (e.g. a load balancer that should keep serving pages while the
  worker is down). Figures and check names only: nothing secret.
/metrics: Prometheus' text format. It shows business figures (records, imports, alerts), so it needs
  COSTDASH_METRICS_TOKEN as a bearer token; unset, it answers only a request from this host (loopback address,
  and not passed on by a proxy: no X-Forwarded-For or Forwarded header), so a Prometheus on the same host or
  in the same container network namespace scrapes it without one.
"""
from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4  # the text format every Prometheus reads

from .health import CHECKS, health_answer
from .metrics import metrics_text


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    only = [name.strip() for name in request.GET.get("checks", "").split(",") if name.strip()]
    unknown = sorted(set(only) - set(CHECKS))
    if unknown:
        return JsonResponse({"error": f"unknown checks {unknown}: choose from {sorted(CHECKS)}"}, status=400)
    answer, ok = health_answer(only or None)
    response = JsonResponse(answer, status=200 if ok else 503)
    # Not an error line per probe from django.request: costdash.ops.health logs when the failing checks change.
    response._has_been_logged = True
    return response


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    refusal = metrics_refusal(request)
    if refusal is not None:
        return refusal
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_PLAIN_0_0_4)


def metrics_refusal(request: HttpRequest) -> HttpResponse | None:
    expected = settings.COSTDASH_METRICS_TOKEN
    if expected:
        header = request.headers.get("Authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if given and hmac.compare_digest(given.encode(), expected.encode()):
            return None
        response = JsonResponse({"error": "a valid metrics token is required (Authorization: Bearer …)"}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if is_loopback(request.META.get("REMOTE_ADDR", "")) and not (
            "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META):
        return None
    return JsonResponse({"error": "/metrics answers only this host while COSTDASH_METRICS_TOKEN is unset"},
                        status=403)


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
