"""The subscription plan table: what each plan costs a person per month, dated, with its source.

Prices are effective-dated like ModelPrice: the row of a plan in force on a month's first day prices
that month. Rows seeded from ../shared/seeds/ (migration 0002) are read-only; an admin corrects or
extends them by adding a row (a later effective_from wins; on the same effective_from an admin row
wins over a seeded one). A plan with no published price keeps ``monthly_price`` empty: it is shown
as "no published price" and left out of every comparison, never taken as $0.
"""
from django.db import models

from costdash.ingest.models import MONEY


class Plan(models.TextChoices):
    """The plans, in the order comparisons list them (a tie goes to the first)."""

    PRO = "pro", "Pro"
    MAX_5X = "max_5x", "Max 5x"
    MAX_20X = "max_20x", "Max 20x"
    TEAM_PREMIUM = "team_premium", "Team (premium seat)"
    ENTERPRISE = "enterprise", "Enterprise"


PLAN_ORDER = {key: position for position, key in enumerate(Plan.values)}


class PlanPrice(models.Model):
    CONFIDENCE_CHOICES = [
        ("verified", "verified: on Anthropic's own pricing page"),
        ("partial", "partial: a third party or an excerpt"),
        ("unverified", "unverified"),
    ]

    plan = models.CharField(max_length=20, choices=Plan.choices)
    monthly_price = models.DecimalField(
        null=True, blank=True, help_text="USD per person (seat) per month, billed monthly. Empty: no published "
        "price; the plan is then left out of the advice, never counted as $0.", **MONEY,
    )
    effective_from = models.DateField(
        null=True, blank=True, help_text="The first month (its first day) this price applies to; empty = always."
    )
    as_of = models.DateField(help_text="The day the figure was read at its source.")
    source = models.CharField(max_length=300, help_text="Where the figure comes from (a page, a quote, a file).")
    confidence = models.CharField(max_length=16, choices=CONFIDENCE_CHOICES)
    note = models.CharField(max_length=300, blank=True)
    from_seed = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["plan", "effective_from", "from_seed"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "effective_from", "from_seed"], nulls_distinct=False, name="plan_price_unique_date"
            ),
            models.CheckConstraint(
                condition=models.Q(monthly_price__isnull=True) | models.Q(monthly_price__gt=0),
                name="plan_price_positive_or_unknown",
            ),
        ]

    def __str__(self) -> str:
        start = self.effective_from or "always"
        return f"{self.get_plan_display()} from {start}"
