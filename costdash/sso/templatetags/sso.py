"""{% sso_login_options %} on the login page: the "Sign in with …" button when SSO is on, and whether the
password form is open to everyone or kept for break-glass superusers."""
from django import template
from django.conf import settings

from costdash.sso.config import provider_name, sso_enabled

register = template.Library()


@register.simple_tag
def sso_login_options() -> dict:
    return {"enabled": sso_enabled(), "name": provider_name(), "password_login": settings.COSTDASH_PASSWORD_LOGIN}
