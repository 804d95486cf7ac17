"""Single sign-on's own rows: which identity-provider group gives which role, and which login each
provider subject signed in as (with the groups and role of its last sign-in, for the admin to see why)."""
from django.conf import settings
from django.db import models

from costdash.accounts.roles import ADMIN, BILLING, DEVELOPER

ROLE_CHOICES = [(ADMIN, "Admin"), (BILLING, "Billing"), (DEVELOPER, "Developer")]


class GroupRoleMapping(models.Model):
    """A value of the provider's groups claim and the role it gives. A login in several mapped groups gets
    the highest of their roles (admin > billing > developer); one in none is a developer."""

    claim_value = models.CharField(max_length=255, unique=True)
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["claim_value"]

    def __str__(self) -> str:
        return f"{self.claim_value} -> {self.role}"


class SsoAccount(models.Model):
    """The provider's subject (issuer, sub) a login signs in as: later sign-ins find the login by it, so an
    e-mail changed at the provider does not make a second login."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_account")
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    email = models.EmailField()
    groups = models.JSONField(default=list)  # the groups claim of the last sign-in
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)  # the role it gave
    last_sign_in = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="sso_account_unique_subject")]

    def __str__(self) -> str:
        return f"{self.email} ({self.subject})"
