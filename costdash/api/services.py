"""API tokens: create (the secret is returned once and never stored), check, revoke."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from costdash.lib.tokens import PREFIX_SHOWN, secret_digest, secret_new

from .models import ApiToken

TOKEN_PREFIX = "cdk_"
# last_used_at is written at most this often per token: a script's every call need not be a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token of ``user``'s and its secret, which cannot be shown again."""
    raw, digest = secret_new(TOKEN_PREFIX)
    token = ApiToken.objects.create(user=user, name=name.strip()[:120] or "API token", prefix=raw[:PREFIX_SHOWN],
                                    digest=digest)
    return token, raw


def api_token_check(raw: str) -> ApiToken | None:
    """The active token ``raw`` is (its user loaded), or None. Marks it used (see LAST_USED_RESOLUTION)."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=secret_digest(raw), revoked_at=None).first()
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    return token


def api_token_revoke(token: ApiToken) -> bool:
    """Revoke a token (refused from the next request on); False when it already was."""
    return bool(ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now()))
