"""Seed the plan table from the published figures in ../shared/seeds/ (read 2026-12-06).

Pro, Max 5x and Max 20x: "Claude Code is included in Pro ($20/month), Max 5x ($100/month), Max 20x
($200/month), Team, and Enterprise plans" (../shared/seeds/002_781a12584735b80b.txt, a third party's
Claude Code cost guide; the page carries no date of its own, so as_of is the day it was read).
Team premium seats and Enterprise are named there and in the other seeds with no price: they are
seeded with no price, so the advice leaves them out until an admin adds a dated row with one.
"""
from datetime import date
from decimal import Decimal

from django.db import migrations

READ_ON = date(2026, 12, 6)
SEED = "../shared/seeds/002_781a12584735b80b.txt"
QUOTE = "a third party's Claude Code cost guide: \"Pro ($20/month), Max 5x ($100/month), Max 20x ($200/month)\""
NAMED = "../shared/seeds/002_781a12584735b80b.txt and 000/001: the plan is named, no price is given"

ROWS = [
    ("pro", Decimal("20"), f"{SEED}: {QUOTE}", "partial", "Billed monthly; an annual discount is not modelled."),
    ("max_5x", Decimal("100"), f"{SEED}: {QUOTE}", "partial", "5x Pro's usage; the limits are not modelled."),
    ("max_20x", Decimal("200"), f"{SEED}: {QUOTE}", "partial", "20x Pro's usage; the limits are not modelled."),
    ("team_premium", None, NAMED, "unverified", "No published price: add a dated row with your quote."),
    ("enterprise", None, NAMED, "unverified", "No published price: add a dated row with your contract's figure."),
]


def seed(apps, schema_editor):
    PlanPrice = apps.get_model("planning", "PlanPrice")
    for plan, price, source, confidence, note in ROWS:
        PlanPrice.objects.update_or_create(
            plan=plan, effective_from=None, from_seed=True,
            defaults={"monthly_price": price, "as_of": READ_ON, "source": source, "confidence": confidence,
                      "note": note},
        )


def unseed(apps, schema_editor):
    apps.get_model("planning", "PlanPrice").objects.filter(from_seed=True).delete()


class Migration(migrations.Migration):
    dependencies = [("planning", "0001_plan_price")]
    operations = [migrations.RunPython(seed, unseed)]
