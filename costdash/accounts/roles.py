"""Who may see what. Roles: admin (everything), billing (all spend, no settings), developer (own usage).

A superuser or a member of the "admin" group is an admin; a member of the "billing" group is billing;
any other logged-in user is a developer and sees only the Developer linked to their login.
"""
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from .models import Developer

ADMIN, BILLING, DEVELOPER = "admin", "billing", "developer"


def role_of(user) -> str | None:
    """The user's role. Read once per user object (a request's user is loaded anew each request),
    since a page asks several times (nav, filters, views)."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return ADMIN
    role = getattr(user, "_costdash_role", None)
    if role is None:
        groups = set(user.groups.values_list("name", flat=True))
        role = ADMIN if ADMIN in groups else BILLING if BILLING in groups else DEVELOPER
        user._costdash_role = role
    return role


def sees_all_spend(user) -> bool:
    return role_of(user) in (ADMIN, BILLING)


def is_admin(user) -> bool:
    return role_of(user) == ADMIN


def developers_visible_to(user) -> QuerySet[Developer]:
    """The developers whose usage this user may see."""
    if sees_all_spend(user):
        return Developer.objects.all()
    if not user.is_authenticated:
        return Developer.objects.none()
    return Developer.objects.filter(user=user)


def require_admin(user, why: str) -> None:
    """Raise PermissionDenied (403, showing ``why``) unless the user is an admin."""
    if not is_admin(user):
        raise PermissionDenied(why)


def require_sees_all_spend(user, why: str) -> None:
    """Raise PermissionDenied (403, showing ``why``) unless the user is an admin or billing."""
    if not sees_all_spend(user):
        raise PermissionDenied(why)
