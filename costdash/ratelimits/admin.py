from django.contrib import admin

from .models import RateRecommendation


@admin.register(RateRecommendation)
class RateRecommendationAdmin(admin.ModelAdmin):
    """Anthropic's published figures, seeded with their source and date; editable when they change."""

    list_display = ("band", "tpm_low", "tpm_high", "rpm_low", "rpm_high", "as_of", "source")
