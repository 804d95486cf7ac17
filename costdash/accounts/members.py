"""Members: the org's logins, managed by admins on the Members page (accounts.members_views).

Every change is one function here, taking the acting admin as ``by`` (the audit trail hooks these):
invite, (re)send the invite, set the role, link the developer, deactivate, reactivate.

1. An invite creates a login named by its e-mail, with no usable password, in the chosen role and linked
   to the chosen developer, and e-mails a link (COSTDASH_BASE_URL/invite/<uid>/<token>/) to choose a
   password. The link is Django's password-reset token with its own salt: it holds the login's password
   hash, so it works once (setting the password changes the hash), and for COSTDASH_INVITE_DAYS days.
   Sending it again draws a new unusable password, so the older link stops working.
2. A role is a group (accounts.roles): "admin", "billing", or neither (developer). Superusers are admins
   whatever their groups; they are managed in the Django admin, not here.
3. A deactivated login cannot sign in, its session ends at its next request, and its API tokens (and the
   push tokens of its developer) are refused; reactivating restores them. Nothing is deleted.
An admin cannot deactivate themself or take away their own admin role, so an org keeps an admin.
"""
from __future__ import annotations

import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from costdash.audit.events import DEACTIVATED, REACTIVATED
from costdash.audit.services import audit_record

from .models import Developer
from .roles import ADMIN, BILLING, DEVELOPER
from .services import clean_email, developer_by_email

ROLES = {
    ADMIN: "Admin: everything, including settings and people",
    BILLING: "Billing: all spend and reports, no settings",
    DEVELOPER: "Developer: their own usage only",
}
ROLE_GROUPS = (ADMIN, BILLING)  # a developer is a login in neither group
NEW_DEVELOPER = "new"  # "the developer with the login's e-mail": linked if it exists, created if not


class InviteTokenGenerator(PasswordResetTokenGenerator):
    """Password-reset tokens with their own salt (a reset link is no invite, nor the reverse) and their own
    lifetime, COSTDASH_INVITE_DAYS, instead of PASSWORD_RESET_TIMEOUT."""

    key_salt = "costdash.accounts.members.InviteTokenGenerator"

    def check_token(self, user, token) -> bool:
        if not (user and token) or "-" not in token:
            return False
        try:
            timestamp = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if not any(constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
                   for secret in (self.secret, *self.secret_fallbacks)):
            return False
        return self._num_seconds(self._now()) - timestamp <= settings.COSTDASH_INVITE_DAYS * 86400


invite_tokens = InviteTokenGenerator()


def _refuse_superuser(user) -> None:
    if user.is_superuser:
        raise ValidationError(f"{user.get_username()} is a superuser: manage that login in the Django admin.")


def member_role(user) -> str:
    """The role a login has, from its (prefetched, on members_list) groups; superusers are admins."""
    if user.is_superuser:
        return ADMIN
    names = {group.name for group in user.groups.all()}
    return ADMIN if ADMIN in names else BILLING if BILLING in names else DEVELOPER


def members_list() -> QuerySet:
    """Every login with its groups and developer: active ones first, then by name."""
    return get_user_model().objects.select_related("developer").prefetch_related("groups").order_by(
        "-is_active", "username")


def invite_pending(user) -> bool:
    """Invited and not signed in yet: no password chosen, never logged in."""
    return user.last_login is None and not user.has_usable_password()


def member_role_set(user, role: str, *, by) -> None:
    """Give ``user`` the role ``role`` (ROLES): its admin/billing groups are replaced, other groups kept."""
    if role not in ROLES:
        raise ValidationError(f"{role!r} is not a role: choose one of {', '.join(ROLES)}")
    _refuse_superuser(user)
    if user.pk == by.pk and role != ADMIN:
        raise ValidationError("You cannot take away your own admin role: ask another admin.")
    with transaction.atomic():
        groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLE_GROUPS}
        user.groups.remove(*groups.values())
        if role in groups:
            user.groups.add(groups[role])
    user.__dict__.pop("_costdash_role", None)  # roles.role_of's memo


def developer_choice(value: str, email: str) -> Developer | None:
    """The developer a form's choice names: "" none, NEW_DEVELOPER the one with ``email`` (created if
    new), else an existing developer's id."""
    if not value:
        return None
    if value == NEW_DEVELOPER:
        return developer_by_email(email)
    try:
        return Developer.objects.get(pk=int(value))
    except (ValueError, Developer.DoesNotExist):
        raise ValidationError("That developer does not exist (any more).") from None


def member_developer_link(user, developer: Developer | None, *, by) -> None:
    """Link ``user``'s login to ``developer`` (None: to no one). A developer linked to another login is
    refused: unlink it there first. The login's previous developer, if any, is unlinked."""
    with transaction.atomic():
        if developer is not None:
            developer = Developer.objects.select_for_update().get(pk=developer.pk)
            if developer.user_id not in (None, user.pk):
                raise ValidationError(f"{developer} is linked to the login {developer.user.get_username()}: "
                                      "unlink it there first.")
        for unlinked in Developer.objects.filter(user=user).exclude(pk=getattr(developer, "pk", None)):
            unlinked.user = None
            unlinked.save(update_fields=["user"])  # a save, so the audit trail records the unlinking
        if developer is not None and developer.user_id != user.pk:
            developer.user = user
            developer.save(update_fields=["user"])
    user.__dict__.pop("developer", None)  # the reverse one-to-one's cache


def member_invite(*, email: str, role: str, developer: str = NEW_DEVELOPER, by) -> object:
    """Create the login of ``email`` (its username) in ``role``, linked to the developer ``developer``
    names (developer_choice), and e-mail it the link to choose a password. Returns the new login."""
    email = clean_email(email)
    User = get_user_model()
    if len(email) > User._meta.get_field("username").max_length:
        raise ValidationError(f"{email} is too long to be a login name.")
    if User.objects.filter(username__iexact=email).exists() or User.objects.filter(email__iexact=email).exists():
        raise ValidationError(f"{email} has a login already: change it in the list below.")
    if role not in ROLES:
        raise ValidationError(f"{role!r} is not a role: choose one of {', '.join(ROLES)}")
    with transaction.atomic():
        user = User(username=email, email=email)
        user.set_unusable_password()
        user.save()
        member_role_set(user, role, by=by)
        member_developer_link(user, developer_choice(developer, email), by=by)
    invite_send(user, by=by)  # a failure (InviteNotSent) leaves the login: "Send again" retries
    return user


def member_invite_resend(user, *, by) -> None:
    """E-mail a new invite link to a login that has not chosen a password yet; older links stop working."""
    if not invite_pending(user):
        raise ValidationError(f"{user.get_username()} has signed in already: they can reset their password.")
    if not user.is_active:
        raise ValidationError(f"{user.get_username()} is deactivated: reactivate it first.")
    user.set_unusable_password()  # a new random hash: the links sent before no longer match
    user.save(update_fields=["password"])
    invite_send(user, by=by)


def invite_path(user) -> str:
    """The invite link's path for ``user`` as it is now."""
    return reverse("invite_accept", kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                                            "token": invite_tokens.make_token(user)})


class InviteNotSent(Exception):
    """The invite e-mail could not be handed to the mail server; the login exists."""


def invite_send(user, *, by) -> None:
    """The invite e-mail, through the site's e-mail settings (EMAIL_*, DEFAULT_FROM_EMAIL)."""
    context = {"user": user, "by": by, "link": settings.COSTDASH_BASE_URL + invite_path(user),
               "role": member_role(user), "days": settings.COSTDASH_INVITE_DAYS}
    try:
        send_mail("costdash: you are invited", render_to_string("registration/invite_email.txt", context),
                  None, [user.email])
    except (OSError, smtplib.SMTPException) as exc:  # refused, unreachable, timed out
        raise InviteNotSent(f"the invite e-mail to {user.email} could not be sent ({exc}): check the e-mail "
                            "settings, then use Send again") from exc


def member_deactivate(user, *, by) -> None:
    """Stop ``user`` signing in and using its API tokens (kept, and working again on reactivation)."""
    _refuse_superuser(user)
    if user.pk == by.pk:
        raise ValidationError("You cannot deactivate your own login.")
    if type(user).objects.filter(pk=user.pk, is_active=True).update(is_active=False):
        audit_record(user, DEACTIVATED, {"is_active": (True, False)}, actor=by)
    user.is_active = False


def member_reactivate(user, *, by) -> None:
    """Let a deactivated login sign in again, with its tokens."""
    _refuse_superuser(user)
    if type(user).objects.filter(pk=user.pk, is_active=False).update(is_active=True):
        audit_record(user, REACTIVATED, {"is_active": (False, True)}, actor=by)
    user.is_active = True
