"""django.contrib.admin with costdash's site (accounts.admin_site): active superusers only, not is_staff.
Its own module: an app config is imported before models may be."""
from django.contrib.admin.apps import AdminConfig


class CostdashAdminConfig(AdminConfig):
    default_site = "costdash.accounts.admin_site.CostdashAdminSite"
