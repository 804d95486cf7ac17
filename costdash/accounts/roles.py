"""Who may see what. Roles: admin (everything), billing (all spend, no settings), developer (own usage).

A superuser or a member of the "admin" group is an admin; a member of the "billing" group is billing;
any other logged-in user is a developer and sees only the Developer linked to their login.
"""
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from .models import Developer

ADMIN, BILLING, DEVELOPER = "admin", "billing", "developer"


def role_of(user) -> str | None:
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return ADMIN
    groups = {g.name for g in user.groups.all()}
    if ADMIN in groups:
        return ADMIN
    if BILLING in groups:
        return BILLING
    return DEVELOPER


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
