"""Effective-dated list prices, per million tokens, keyed by the normalised model id."""
from django.db import models


class ModelPrice(models.Model):
    """One rate row: a model's prices for one speed and input-size tier over a date range.

    A request uses the row whose model and speed match, whose dates hold its UTC day,
    and whose ``min_input_tokens`` is the largest one its total input exceeds
    (0 for the base tier; 200,000 for a long-context tier).
    Rows come from costdash/pricing/rates.toml (synced on migrate); admins can add more.
    """

    SPEED_CHOICES = [("standard", "standard"), ("fast", "fast")]

    model = models.CharField(max_length=120, help_text="Normalised id, e.g. claude-sonnet-4-6")
    speed = models.CharField(max_length=16, choices=SPEED_CHOICES, default="standard")
    min_input_tokens = models.PositiveIntegerField(
        default=0, help_text="This tier applies when a request's total input exceeds this many tokens."
    )
    effective_from = models.DateField(null=True, blank=True, help_text="First UTC day; empty = always.")
    effective_until = models.DateField(null=True, blank=True, help_text="First UTC day it no longer applies.")
    input = models.DecimalField(max_digits=12, decimal_places=6)
    cache_write_5m = models.DecimalField(max_digits=12, decimal_places=6)
    cache_write_1h = models.DecimalField(max_digits=12, decimal_places=6)
    cache_read = models.DecimalField(max_digits=12, decimal_places=6)
    output = models.DecimalField(max_digits=12, decimal_places=6)
    us_multiplier = models.DecimalField(
        max_digits=6, decimal_places=3, default=1, help_text="Applied when inference_geo is 'us' (1.1 for Opus 4.6+)."
    )
    confidence = models.CharField(max_length=16, blank=True, help_text="verified, partial or unverified")
    note = models.CharField(max_length=300, blank=True)
    from_rate_file = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["model", "speed", "min_input_tokens", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "speed", "min_input_tokens", "effective_from"], name="model_price_unique_tier"
            )
        ]

    def __str__(self) -> str:
        tier = "" if not self.min_input_tokens else f" >{self.min_input_tokens:,}"
        start = self.effective_from or "start"
        return f"{self.model} {self.speed}{tier} from {start}"
