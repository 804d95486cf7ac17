"""django.contrib.admin with costdash's site (accounts.admin_site): active superusers only, not is_staff.
Its own module: an app config is imported before models may be."""
from django.contrib.admin.apps import SimpleAdminConfig


class CostdashAdminConfig(SimpleAdminConfig):
    """Without AdminConfig's autodiscovery at Django start: the site imports every app's admin module when it
    is first used (its URLs or its checks: CostdashAdminSite.discover), so a command that never serves the admin
    (`manage.py import_usage`) does not import them."""

    default_site = "costdash.accounts.admin_site.CostdashAdminSite"
