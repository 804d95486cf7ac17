"""SSO settings and the provider's discovery document.

SSO is on when COSTDASH_OIDC_ISSUER is set (settings.COSTDASH_SSO_ENABLED). The endpoints (authorization,
token, userinfo, JWKS) are read from the issuer's ``/.well-known/openid-configuration`` through lib/http.py
on first use and kept for COSTDASH_OIDC_DISCOVERY_SECONDS; the document must name the configured issuer
(OpenID Connect Discovery 1.0, section 4.3), or nothing is signed in.
"""
from __future__ import annotations

import json
import threading
import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from costdash.lib.http import HttpError, http_get

WELL_KNOWN = "/.well-known/openid-configuration"
# mozilla-django-oidc setting name -> discovery document field
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}

_lock = threading.Lock()
_cache: dict[str, tuple[float, dict]] = {}


class DiscoveryError(Exception):
    """The provider's discovery document could not be read or does not fit the settings."""


def sso_enabled() -> bool:
    return bool(getattr(settings, "COSTDASH_SSO_ENABLED", False))


def provider_name() -> str:
    return settings.COSTDASH_OIDC_NAME


def redirect_uri() -> str:
    """Where the provider sends the browser back: on COSTDASH_BASE_URL, as e-mailed links are, never on the Host
    header (behind a TLS proxy that would read http://, and the provider compares it exactly)."""
    return settings.COSTDASH_BASE_URL + reverse("sso:callback")


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + WELL_KNOWN


def discovery_clear() -> None:
    """Forget every fetched document (tests; a provider that rotated its endpoints)."""
    with _lock:
        _cache.clear()


def discovery() -> dict:
    """The configured issuer's discovery document, fetched at most once per COSTDASH_OIDC_DISCOVERY_SECONDS."""
    issuer = settings.COSTDASH_OIDC_ISSUER
    if not issuer:
        raise ImproperlyConfigured("SSO is off: COSTDASH_OIDC_ISSUER is not set")
    with _lock:
        cached = _cache.get(issuer)
        if cached and time.monotonic() - cached[0] < settings.COSTDASH_OIDC_DISCOVERY_SECONDS:
            return cached[1]
    url = discovery_url(issuer)
    try:
        response = http_get(url, timeout=settings.OIDC_TIMEOUT)
        document = json.loads(response.body)
    except (HttpError, ValueError) as exc:
        raise DiscoveryError(f"The identity provider's discovery document ({url}) could not be read: {exc}") from exc
    if not isinstance(document, dict):
        raise DiscoveryError(f"{url} is not a JSON object")
    if document.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        raise DiscoveryError(f"{url} names issuer {document.get('issuer')!r}, not {issuer!r} (COSTDASH_OIDC_ISSUER)")
    missing = [field for field in ENDPOINTS.values() if not isinstance(document.get(field), str)]
    if missing:
        raise DiscoveryError(f"{url} has no {', '.join(missing)}")
    with _lock:
        _cache[issuer] = (time.monotonic(), document)
    return document


def oidc_setting(attr: str, *default):
    """A mozilla-django-oidc setting: endpoints from discovery, everything else from Django's settings."""
    if attr in ENDPOINTS:
        return discovery()[ENDPOINTS[attr]]
    if default:
        return getattr(settings, attr, default[0])
    try:
        return getattr(settings, attr)
    except AttributeError:
        raise ImproperlyConfigured(f"Setting {attr} not found") from None
