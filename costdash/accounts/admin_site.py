"""The Django admin is for superusers (break-glass and the rare repair), not for daily work: admins keep the
org settings, prices, plan prices, members and people on costdash's own pages, which go through the services
the audit trail and the repricing hang on. A superuser gets in and may do everything there; anyone else does not
get in, whatever their role or is_staff flag says."""
from django.contrib import admin
from django.contrib.auth.backends import BaseBackend

_SUPERUSER = "_costdash_admin_site_user"  # memo on the user object: the admin asks dozens of times a page


def _is_admin(user) -> bool:
    """Whether this login may use the Django admin: an active superuser."""
    if not hasattr(user, _SUPERUSER):
        setattr(user, _SUPERUSER, bool(user.is_active and user.is_superuser))
    return getattr(user, _SUPERUSER)


class CostdashAdminSite(admin.AdminSite):
    site_header = "costdash admin"
    site_title = "costdash admin"
    _discovered = False

    def discover(self) -> None:
        """Import every app's admin module (Django's autodiscover, which registers their ModelAdmins on this, the
        default site), once: before the site's URLs are made and before its checks run (admin_config)."""
        if not self._discovered:
            self._discovered = True
            admin.autodiscover()

    def get_urls(self):
        self.discover()
        return super().get_urls()

    def check(self, app_configs):
        self.discover()
        return super().check(app_configs)

    def has_permission(self, request) -> bool:
        return _is_admin(request.user)


class AdminRoleBackend(BaseBackend):
    """Every permission for an active superuser (as ModelBackend grants them); nothing for anyone else beyond what
    ModelBackend grants. Authenticates no one."""

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        return _is_admin(user_obj)

    def has_module_perms(self, user_obj, app_label) -> bool:
        return _is_admin(user_obj)
