"""manage.py pricing_sync [--file PATH]: load the rate file into ModelPrice."""
from django.core.management.base import BaseCommand

from costdash.pricing.services import pricing_sync_rate_file_report


class Command(BaseCommand):
    help = "Upsert the rate file's rows into ModelPrice (idempotent; admin-added rows are kept)."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=None, help="Rate file to load (default: costdash/pricing/rates.toml)")

    def handle(self, *args, file=None, **options):
        result = pricing_sync_rate_file_report(file)
        self.stdout.write(
            f"{result.added} added, {result.updated} updated, {result.removed} removed, "
            f"{result.unchanged} unchanged"
        )
        if result.shadowed:
            self.stdout.write(self.style.WARNING(f"{result.shadowed} file row(s) shadowed by admin-added rows"))
