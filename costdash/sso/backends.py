"""Authentication backends: the identity provider's (mozilla-django-oidc's code flow, with costdash's
discovery, token checks and sign-in rules) and passwords (Django's, refused when password login is off,
except for a break-glass superuser)."""
from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .config import discovery, oidc_setting, redirect_uri
from .services import SsoRefused, sso_sign_in

log = logging.getLogger(__name__)


def is_break_glass(user) -> bool:
    """An active superuser named in COSTDASH_BREAK_GLASS_USERNAMES."""
    return bool(user is not None and user.is_active and user.is_superuser
                and user.get_username() in settings.COSTDASH_BREAK_GLASS_USERNAMES)


def password_login_allowed_for(username: str | None) -> bool:
    """May this username sign in with a password? Always while COSTDASH_PASSWORD_LOGIN is on; when it is off,
    only a break-glass superuser."""
    if settings.COSTDASH_PASSWORD_LOGIN:
        return True
    if not username or username not in settings.COSTDASH_BREAK_GLASS_USERNAMES:
        return False
    User = get_user_model()
    return is_break_glass(User._default_manager.filter(**{User.USERNAME_FIELD: username}).first())


def axes_skips_sso_callback(request, credentials) -> bool:
    """django-axes' whitelist (settings.AXES_WHITELIST_CALLABLE): the SSO callback, where no password is tried."""
    return request is not None and request.path == reverse("sso:callback")


class PasswordBackend(ModelBackend):
    """Django's username + password check, for the logins password sign-in is open to (every login, or with
    COSTDASH_PASSWORD_LOGIN off the break-glass superusers only: the login form, the Django admin's and any
    other caller of authenticate() alike)."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and (settings.COSTDASH_PASSWORD_LOGIN or is_break_glass(user))


class SsoBackend(OIDCAuthenticationBackend):
    """The OpenID Connect authorization-code flow. Endpoints come from discovery when a sign-in needs them
    (Django builds every backend for each authenticate() and session load, password ones included, so
    nothing is fetched here at construction)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None  # always the provider's JWKS

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return oidc_setting("OIDC_OP_TOKEN_ENDPOINT")

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:
        return oidc_setting("OIDC_OP_USER_ENDPOINT")

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return oidc_setting("OIDC_OP_JWKS_ENDPOINT")

    def get_token(self, payload):
        """The code exchange names the redirect URI the authorization request sent (config.redirect_uri)."""
        return super().get_token({**payload, "redirect_uri": redirect_uri()})

    def verify_token(self, token, **kwargs):
        """The library checks the signature, expiry and nonce; an ID token must also come from our issuer
        and be meant for our client (OpenID Connect Core 3.1.3.7, steps 2-4), which it leaves out."""
        payload = super().verify_token(token, **kwargs)
        issuer = discovery()["issuer"]
        if payload.get("iss") != issuer:
            raise SuspiciousOperation(f"ID token issuer {payload.get('iss')!r} is not {issuer!r}")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token is not meant for this client (aud)")
        if len(audiences) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token names another authorized party (azp)")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        """The ID token's claims with the userinfo endpoint's on top (the same subject), through sso_sign_in.
        A refusal is kept on the request for the login page, and signs no one in."""
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The userinfo endpoint names another subject than the ID token")
        try:
            return sso_sign_in({**payload, **userinfo}, issuer=payload["iss"])
        except SsoRefused as exc:
            log.info("SSO sign-in refused: %s", exc)
            self.request.sso_refusal = str(exc)
            return None
