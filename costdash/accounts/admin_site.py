"""The Django admin (org settings, prices, people, logins) belongs to the admin role (accounts.roles),
whatever a login's is_staff flag says: a member of the admin group gets in and may do everything there,
as a superuser may; a billing or developer login does not get in, even when flagged staff."""
from django.contrib import admin
from django.contrib.auth.backends import BaseBackend

from . import roles

_ADMIN = "_costdash_is_admin"  # memo on the user object: the admin asks for permissions dozens of times a page


def _is_admin(user) -> bool:
    if not hasattr(user, _ADMIN):
        setattr(user, _ADMIN, user.is_active and roles.is_admin(user))
    return getattr(user, _ADMIN)


class CostdashAdminSite(admin.AdminSite):
    site_header = "costdash admin"
    site_title = "costdash admin"

    def has_permission(self, request) -> bool:
        return _is_admin(request.user)


class AdminRoleBackend(BaseBackend):
    """Every permission for the admin role (superusers have them anyway); nothing for anyone else
    beyond what ModelBackend grants. Authenticates no one."""

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        return _is_admin(user_obj)

    def has_module_perms(self, user_obj, app_label) -> bool:
        return _is_admin(user_obj)
