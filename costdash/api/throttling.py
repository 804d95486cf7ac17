"""Requests per API token (settings.COSTDASH_API_TOKEN_RATE), counted across processes (costdash.lib.rates):
past the rate, DRF answers 429 with Retry-After (the seconds until the token's window ends). A browser session
(the docs page) is not counted: the rate is there for scripts."""
from django.conf import settings
from rest_framework.throttling import BaseThrottle

from costdash.lib.rates import rate_hit

from .models import ApiToken


class ApiTokenRateThrottle(BaseThrottle):
    retry_after: int | None = None

    def allow_request(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        # The digest, not the id: ids start again in a new database, a counter must not be inherited.
        self.retry_after = rate_hit(f"api:{token.digest[:24]}", settings.COSTDASH_API_TOKEN_RATE)
        return self.retry_after is None

    def wait(self) -> int | None:
        return self.retry_after
