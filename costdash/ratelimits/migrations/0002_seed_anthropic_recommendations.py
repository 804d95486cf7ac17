"""Seed Anthropic's per-user rate-limit recommendations by team size.

From Claude Code's documentation, "Manage costs effectively", section "Rate limit recommendations"
(a copy: ../shared/seeds/000_34587df8371881df.txt). The page carries no date of its own: ``as_of``
is the day the figures were read (2026-12-06). The bands, as published (TPM and RPM per user):
1-5 users 200k-300k / 5-7; 5-20 100k-150k / 2.5-3.5; 20-50 50k-75k / 1.25-1.75; 50-100 25k-35k /
0.62-0.87; 100-500 15k-20k / 0.37-0.47; 500+ 10k-15k / 0.25-0.35. The admin can edit them.
"""
from datetime import date
from decimal import Decimal

from django.db import migrations

SOURCE = "Claude Code docs, 'Manage costs effectively': Rate limit recommendations (../shared/seeds/000_34587df8371881df.txt)"
AS_OF = date(2026, 12, 6)
BANDS = (
    (1, 5, 200_000, 300_000, "5", "7"),
    (5, 20, 100_000, 150_000, "2.5", "3.5"),
    (20, 50, 50_000, 75_000, "1.25", "1.75"),
    (50, 100, 25_000, 35_000, "0.62", "0.87"),
    (100, 500, 15_000, 20_000, "0.37", "0.47"),
    (500, None, 10_000, 15_000, "0.25", "0.35"),
)


def seed(apps, schema_editor):
    RateRecommendation = apps.get_model("ratelimits", "RateRecommendation")
    for low, high, tpm_low, tpm_high, rpm_low, rpm_high in BANDS:
        RateRecommendation.objects.update_or_create(min_users=low, defaults={
            "max_users": high, "tpm_low": tpm_low, "tpm_high": tpm_high, "rpm_low": Decimal(rpm_low),
            "rpm_high": Decimal(rpm_high), "source": SOURCE, "as_of": AS_OF,
        })


def unseed(apps, schema_editor):
    apps.get_model("ratelimits", "RateRecommendation").objects.filter(source=SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [("ratelimits", "0001_minute_usage_recommendations_limits")]
    operations = [migrations.RunPython(seed, unseed)]
