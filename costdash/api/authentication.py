"""``Authorization: Bearer cdk_…`` (or ``Token cdk_…``): a user's API token, for scripts. Requests
without that header fall through to the session (a logged-in browser, e.g. the docs page)."""
from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .services import ApiTokenExpired, api_token_check

KEYWORDS = ("bearer", "token")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Give the token as: Authorization: Bearer cdk_…")
        try:
            token = api_token_check(parts[1].decode("latin-1"))
        except ApiTokenExpired as exc:
            raise exceptions.AuthenticationFailed(
                f"This API token expired on {exc.token.expires_at:%Y-%m-%d %H:%M} UTC: make a new one on the "
                "API tokens page (/api/tokens/).") from None
        if token is None:
            raise exceptions.AuthenticationFailed("This API token is unknown or revoked.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This API token's user is inactive (deactivated by an admin).")
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes an unauthenticated request a 401 (with this challenge) rather than a 403.
        return 'Bearer realm="costdash API"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http", "scheme": "bearer", "bearerFormat": "cdk_…",
            "description": "A personal API token from /api/tokens/ (`Authorization: Bearer cdk_…`; `Token` works too).",
        }
