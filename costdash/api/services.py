"""API tokens: create (the secret is returned once and never stored), check, revoke."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from costdash.accounts import roles
from costdash.lib.tokens import PREFIX_SHOWN, secret_digest, secret_new

from .models import ApiToken

TOKEN_PREFIX = "cdk_"
# last_used_at is written at most this often per token: a script's every call need not be a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_DAYS = 3650
DEFAULT_DAYS = "default"  # api_token_create's ``days`` when not given: settings.COSTDASH_API_TOKEN_DAYS


class ApiTokenExpired(Exception):
    """A known, unrevoked token past its expiry."""

    def __init__(self, token: ApiToken):
        super().__init__(f"{token} expired at {token.expires_at:%Y-%m-%d %H:%M} UTC")
        self.token = token


def api_token_create(*, user, name: str, days: int | None | str = DEFAULT_DAYS) -> tuple[ApiToken, str]:
    """A new token of ``user``'s, expiring in ``days`` days (None: never, which only an admin may choose;
    ValidationError otherwise), and its secret, which cannot be shown again."""
    if days == DEFAULT_DAYS:
        days = settings.COSTDASH_API_TOKEN_DAYS
    if days is None and not roles.is_admin(user):
        raise ValidationError("Only admins may make a token that never expires: choose an expiry.")
    if days is not None and not (isinstance(days, int) and 1 <= days <= MAX_DAYS):
        raise ValidationError(f"A token expires in 1 to {MAX_DAYS} days, not {days!r}.")
    raw, digest = secret_new(TOKEN_PREFIX)
    expires_at = None if days is None else timezone.now() + timedelta(days=days)
    token = ApiToken.objects.create(user=user, name=name.strip()[:120] or "API token", prefix=raw[:PREFIX_SHOWN],
                                    digest=digest, expires_at=expires_at)
    return token, raw


def api_token_check(raw: str) -> ApiToken | None:
    """The unrevoked token ``raw`` is (its user loaded), or None; ApiTokenExpired past its expiry. Marks it
    used (see LAST_USED_RESOLUTION)."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=secret_digest(raw), revoked_at=None).first()
    if token is None:
        return None
    now = timezone.now()
    if token.expired_at(now):
        raise ApiTokenExpired(token)
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_token_revoke(token: ApiToken) -> bool:
    """Revoke a token (refused from the next request on); False when it already was."""
    from costdash.audit.services import audit_record

    now = timezone.now()
    revoked = bool(ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=now))
    if revoked:
        audit_record(token, "revoked", {"revoked_at": (None, now)})  # an update(): no save for auditlog to see
    return revoked
