"""What a sign-in through the identity provider does (writes), given the claims it vouched for.

``sso_sign_in`` is the one path: it refuses (``SsoRefused``, with a message for the login page) an e-mail the
provider has not verified, a superuser (break-glass logins use their password, never the provider) and a
deactivated login; otherwise it finds the login (by the provider's subject, else the developer with that
e-mail, else the one login with that e-mail), creates it on first sign-in, links it to the developer with
the same e-mail (created if new, as an import would), and sets its role from the groups claim through
GroupRoleMapping, anew at every sign-in.
"""
from __future__ import annotations

from collections.abc import Iterable
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from costdash.accounts.models import Developer
from costdash.accounts.roles import ADMIN, BILLING, DEVELOPER
from costdash.accounts.services import clean_email

from .models import GroupRoleMapping, SsoAccount

ROLE_ORDER = (ADMIN, BILLING, DEVELOPER)  # highest first
ROLE_GROUPS = (ADMIN, BILLING)  # a developer is a login in neither group


class SsoRefused(Exception):
    """A sign-in the provider vouched for that costdash will not let in; the message is shown on the login page."""


def email_verified(claims: dict) -> bool:
    """The provider says it verified the e-mail: ``email_verified`` is true (a few providers send "true")."""
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def groups_of(claims: dict) -> list[str]:
    """The values of the groups claim (settings.COSTDASH_OIDC_GROUPS_CLAIM): a list, or one string."""
    raw = claims.get(settings.COSTDASH_OIDC_GROUPS_CLAIM)
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        return []
    return [str(value) for value in raw if isinstance(value, str | int) and not isinstance(value, bool)]


def role_for_groups(groups: Iterable[str]) -> str:
    """The highest role any of ``groups`` is mapped to; developer when none is mapped. Values match exactly."""
    mapped = set(GroupRoleMapping.objects.filter(claim_value__in=list(groups)).values_list("role", flat=True))
    return next((role for role in ROLE_ORDER if role in mapped), DEVELOPER)


def user_role_set(user, role: str) -> None:
    """Make ``role`` the user's role: its admin/billing groups replaced, any other group kept."""
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLE_GROUPS}
    user.groups.remove(*groups.values())
    if role in groups:
        user.groups.add(groups[role])
    user.__dict__.pop("_costdash_role", None)  # roles.role_of's per-object memo


def sso_sign_in(claims: dict, *, issuer: str):
    """The login for these (signature-checked) claims, created or updated; raises SsoRefused."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise SsoRefused("The identity provider sent no subject (sub) for this sign-in.")
    try:
        email = clean_email(claims.get("email") if isinstance(claims.get("email"), str) else "")
    except ValidationError:
        raise SsoRefused("The identity provider sent no valid e-mail address: costdash needs the email scope.") \
            from None
    if not email_verified(claims):
        raise SsoRefused(f"The identity provider has not verified {email} (email_verified is not true), so it "
                         "cannot be linked to a login. Verify it there, then sign in again.")
    groups = groups_of(claims)
    role = role_for_groups(groups)
    with transaction.atomic():
        account = (SsoAccount.objects.select_for_update().select_related("user")
                   .filter(issuer=issuer, subject=subject).first())
        user = account.user if account else _user_for_email(email)
        if user is None:
            user = _user_create(email, claims)
        elif user.is_superuser:
            raise SsoRefused(f"{email} is a superuser login: superusers sign in with their password, never through "
                             "single sign-on.")
        elif not user.is_active:
            raise SsoRefused(f"The login for {email} is deactivated. Ask an admin to reactivate it.")
        _developer_link(user, email, claims)
        user_role_set(user, role)
        SsoAccount.objects.update_or_create(user=user, defaults={
            "issuer": issuer, "subject": subject, "email": email, "groups": groups, "role": role,
            "last_sign_in": timezone.now()})
    return user


def _user_for_email(email: str):
    """The login linked to the developer with this e-mail, else the one login with this e-mail, else None."""
    developer = Developer.objects.select_related("user").filter(email=email).first()
    if developer is not None and developer.user is not None:
        return developer.user
    users = list(get_user_model().objects.filter(email__iexact=email)[:2])
    if len(users) > 1:
        raise SsoRefused(f"Several logins have the e-mail {email}; an admin must keep only one.")
    return users[0] if users else None


def _user_create(email: str, claims: dict):
    """A login named by its e-mail (a suffix if that username is taken), with no usable password."""
    User = get_user_model()
    username = email[:150]
    while User.objects.filter(username=username).exists():
        username = f"{email[:140]}-{secrets.token_hex(4)}"
    return User.objects.create_user(
        username, email=email, password=None,
        first_name=str(claims.get("given_name") or "")[:150], last_name=str(claims.get("family_name") or "")[:150])


def _developer_link(user, email: str, claims: dict) -> None:
    """Link a login that has no developer to the developer with this e-mail (created if new, as an import
    names one). A login already linked keeps its developer; a developer linked to another login keeps it."""
    if Developer.objects.filter(user=user).exists():
        return
    developer, _ = Developer.objects.get_or_create(email=email, defaults={"name": str(claims.get("name") or "")[:200]})
    if developer.user_id is None:
        developer.user = user
        developer.save(update_fields=["user"])
