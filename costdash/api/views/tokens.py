"""The API tokens page (/api/tokens/): each user makes and revokes their own tokens; admins also see
and revoke everyone's. A token's secret is shown once, in the response that made it. A token expires
after the days chosen at creation (default settings.COSTDASH_API_TOKEN_DAYS); "never" is for admins."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from costdash.accounts import roles

from ..selectors import api_tokens_visible_to
from ..services import api_token_create, api_token_revoke

EXPIRY_DAYS = (7, 30, 90, 180, 365)
NEVER = "never"


def expiry_choices(user) -> list[tuple[str, str]]:
    """(value, label) of the expiries ``user`` may pick: some numbers of days (the default among them), and
    "never" for an admin."""
    days = sorted({*EXPIRY_DAYS, settings.COSTDASH_API_TOKEN_DAYS})
    choices = [(str(d), f"{d} days") for d in days]
    return choices + ([(NEVER, "Never (admins only)")] if roles.is_admin(user) else [])


def _days(value: str | None):
    """The ``days`` api_token_create takes for a posted expiry: the default when none was posted."""
    if not value:
        return settings.COSTDASH_API_TOKEN_DAYS
    if value == NEVER:
        return None
    if not value.isascii() or not value.isdigit():
        raise ValidationError(f"{value!r} is not an expiry: choose one from the list.")
    return int(value)


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    created, status = None, 200
    if request.method == "POST":
        try:
            token, secret = api_token_create(user=request.user, name=request.POST.get("name", ""),
                                             days=_days(request.POST.get("expires")))
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            status = 400
        else:
            created = {"token": token, "secret": secret}  # rendered in this response only, never stored
    return render(request, "api/tokens.html", {
        "created": created, "tokens": api_tokens_visible_to(request.user),
        "sees_everyones": roles.is_admin(request.user), "origin": request.build_absolute_uri("/").rstrip("/"),
        "expiry_choices": expiry_choices(request.user), "default_expiry": str(settings.COSTDASH_API_TOKEN_DAYS),
        "rate": settings.COSTDASH_API_TOKEN_RATE,
    }, status=status)


@login_required
@require_POST
def api_token_revoke_view(request, token_id: int):
    """Revoke a token of the user's own (an admin: anyone's); any other id is not found."""
    token = get_object_or_404(api_tokens_visible_to(request.user), pk=token_id)
    if api_token_revoke(token):
        messages.success(request, f"{token} is revoked: calls with it are refused from now on.")
    return redirect("api:tokens")
