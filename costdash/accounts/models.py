"""People and the org: Team, Developer, Identity (a source's name for a person), OrgSettings."""
from decimal import Decimal
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    cost_center = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Developer(models.Model):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="developers")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="developer"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email


class Identity(models.Model):
    """How one source names a person (an email, a LiteLLM user, an API key name, an uploader).

    An identity with no developer waits for an admin to map it.
    """

    source = models.CharField(max_length=40)
    external_id = models.CharField(max_length=320)
    developer = models.ForeignKey(
        Developer, null=True, blank=True, on_delete=models.SET_NULL, related_name="identities"
    )
    first_seen = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "identities"
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="identity_unique_per_source")]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a known time zone") from None


class OrgSettings(models.Model):
    """The org's one row of settings: its reporting time zone and the reference figures."""

    name = models.CharField(max_length=120, default="Our team")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    average_daily_cost = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("13.00"),
        help_text="Anthropic's published average cost per developer per active day (2026: $13).",
    )
    daily_ceiling = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("30.00"),
        help_text="The daily figure 90% of users stay below (2026: $30). Days above it are flagged.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "org settings"
        verbose_name_plural = "org settings"

    def __str__(self) -> str:
        return self.name

    @classmethod
    def get(cls) -> "OrgSettings":
        obj, _ = cls.objects.get_or_create(pk=1, defaults={"time_zone": settings.DEFAULT_ORG_TIME_ZONE})
        return obj

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)
