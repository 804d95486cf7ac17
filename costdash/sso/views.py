"""Sign in through the identity provider (start and callback: mozilla-django-oidc's views, 404 while SSO is
off, refusals shown on the login page), and the admins' page mapping provider groups to roles."""
from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView
from requests import RequestException

from costdash.accounts.roles import DEVELOPER, require_admin

from .config import DiscoveryError, oidc_setting, provider_name, redirect_uri, sso_enabled
from .forms import GroupRoleMappingForm
from .models import GroupRoleMapping, SsoAccount

log = logging.getLogger(__name__)
RECENT_SIGN_INS = 50


def _failed(request, message: str) -> HttpResponseRedirect:
    messages.error(request, message)
    return HttpResponseRedirect(reverse("login"))


class SsoStartView(OIDCAuthenticationRequestView):
    """Redirect to the provider's authorization endpoint (state, nonce and PKCE kept in the session)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # The library reads the endpoint here; ours is read per request, in get(), from discovery.
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except DiscoveryError as exc:
            log.warning("SSO start: %s", exc)
            return _failed(request, f"{provider_name()} cannot be reached right now; try again later.")
        self.OIDC_RP_CLIENT_ID = oidc_setting("OIDC_RP_CLIENT_ID")
        return super().get(request)

    def get_extra_params(self, request) -> dict:
        return {**super().get_extra_params(request), "redirect_uri": redirect_uri()}


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """The provider's redirect back: code for tokens, claims checked, the login signed in or told why not."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request):
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            return super().get(request)
        except (SuspiciousOperation, RequestException, DiscoveryError) as exc:
            log.warning("SSO callback failed: %s", exc)
            return _failed(request, f"Signing in with {provider_name()} failed; try again.")

    def login_failure(self):
        reason = getattr(self.request, "sso_refusal", None)
        if reason is None and self.request.GET.get("error"):
            reason = f"{provider_name()} did not sign you in ({self.request.GET['error']})."
        return _failed(self.request, reason or f"Signing in with {provider_name()} failed; try again.")


@login_required
def mappings(request):
    """Which provider group gives which role; adding one (POST). The latest sign-ins show the groups each
    brought and the role it got."""
    require_admin(request.user, "Only admins map identity-provider groups to roles.")
    form = GroupRoleMappingForm(request.POST or None, initial={"role": DEVELOPER})
    if request.method == "POST" and form.is_valid():
        mapping = form.save()
        messages.success(request, f"Group {mapping.claim_value} now gives the {mapping.role} role, from each "
                                  "login's next sign-in.")
        return redirect("sso:mappings")
    accounts = SsoAccount.objects.select_related("user").order_by("-last_sign_in")[:RECENT_SIGN_INS]
    return render(request, "sso/mappings.html", {
        "form": form, "mappings": GroupRoleMapping.objects.all(), "accounts": accounts,
        "sso_enabled": sso_enabled(), "provider_name": provider_name(),
        "role_choices": GroupRoleMapping._meta.get_field("role").choices})


@login_required
@require_POST
def mapping_update(request, mapping_id: int):
    require_admin(request.user, "Only admins map identity-provider groups to roles.")
    mapping = get_object_or_404(GroupRoleMapping, pk=mapping_id)
    form = GroupRoleMappingForm({"claim_value": mapping.claim_value, "role": request.POST.get("role", "")},
                                instance=mapping)
    if form.is_valid():
        form.save()
        messages.success(request, f"Group {mapping.claim_value} now gives the {mapping.role} role, from each "
                                  "login's next sign-in.")
    else:
        messages.error(request, "Choose admin, billing or developer.")
    return redirect("sso:mappings")


@login_required
@require_POST
def mapping_delete(request, mapping_id: int):
    require_admin(request.user, "Only admins map identity-provider groups to roles.")
    mapping = get_object_or_404(GroupRoleMapping, pk=mapping_id)
    mapping.delete()
    messages.success(request, f"Group {mapping.claim_value} no longer gives a role (its members are developers "
                              "unless another group says otherwise), from each login's next sign-in.")
    return redirect("sso:mappings")
