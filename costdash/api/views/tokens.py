"""The API tokens page (/api/tokens/): each user makes and revokes their own tokens; admins also see
and revoke everyone's. A token's secret is shown once, in the response that made it."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from costdash.accounts import roles

from ..selectors import api_tokens_visible_to
from ..services import api_token_create, api_token_revoke


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    created = None
    if request.method == "POST":
        token, secret = api_token_create(user=request.user, name=request.POST.get("name", ""))
        created = {"token": token, "secret": secret}  # rendered in this response only, never stored
    return render(request, "api/tokens.html", {
        "created": created, "tokens": api_tokens_visible_to(request.user),
        "sees_everyones": roles.is_admin(request.user), "origin": request.build_absolute_uri("/").rstrip("/"),
    })


@login_required
@require_POST
def api_token_revoke_view(request, token_id: int):
    """Revoke a token of the user's own (an admin: anyone's); any other id is not found."""
    token = get_object_or_404(api_tokens_visible_to(request.user), pk=token_id)
    if api_token_revoke(token):
        messages.success(request, f"{token} is revoked: calls with it are refused from now on.")
    return redirect("api:tokens")
