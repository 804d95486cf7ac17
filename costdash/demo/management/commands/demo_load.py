"""``manage.py demo_load``: a demo team with realistic Claude Code usage, and an admin login."""
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from costdash.demo.services import demo_admin_ensure, demo_load


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--end must be a date like 2026-03-31, not {value!r}") from None


class Command(BaseCommand):
    help = ("Generate transcripts for a demo team (14 developers, 4 teams), import them through the "
            "normal import, recompute rollups and print an admin login. Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=60, help="Days of usage to generate (default 60).")
        parser.add_argument("--end", type=_day, default=None, help="Last day, YYYY-MM-DD (default: today, UTC).")
        parser.add_argument("--seed", type=int, default=7, help="Generator seed (default 7).")
        parser.add_argument("--admin-password", default=None, help="Password for the admin user (default: random).")

    def handle(self, *args, days, end, seed, admin_password, **options):
        if days < 1:
            raise CommandError("--days must be at least 1")
        end = end or timezone.now().date()
        self.stdout.write(f"Writing {days} days of demo transcripts to {end} and importing them...")
        result = demo_load(end=end, days=days, seed=seed,
                           each=lambda devs: tqdm(devs, desc="Importing", unit="developer"))
        username, password = demo_admin_ensure(admin_password)
        for failure in result.failed_batches:
            self.stderr.write(self.style.ERROR(f"Import failed for {failure}"))
        unpriced = f"; unpriced models: {', '.join(sorted(result.unpriced_models))}" if result.unpriced_models else ""
        self.stdout.write(
            f"Demo team: {result.developers} developers in {result.teams} teams, "
            f"{result.requests_total:,} requests ({result.requests_new:,} new this run), "
            f"${result.cost_total:,.2f} total spend over {result.active_days} active developer-days{unpriced}."
        )
        self.stdout.write(self.style.SUCCESS(f"Admin login: username {username!r}, password {password!r}"))
