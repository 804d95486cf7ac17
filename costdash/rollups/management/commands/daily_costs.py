"""python manage.py daily_costs --json [--since D] [--until D] [--developer EMAIL]"""
from datetime import date

from django.core.management.base import BaseCommand, CommandError
import orjson

from costdash.lib.money import decimal_str
from costdash.rollups.models import DailyCost
from costdash.rollups.services import TOKEN_SUMS


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Print the daily rollup (day, developer, model, tokens, requests, cost) for scripts and checks."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="one JSON array (the default is a table)")
        parser.add_argument("--since", type=parse_day, help="first day, inclusive (YYYY-MM-DD)")
        parser.add_argument("--until", type=parse_day, help="last day, inclusive (YYYY-MM-DD)")
        parser.add_argument("--developer", help="only this developer's email")

    def handle(self, *args, json, since, until, developer, **options):
        rows = DailyCost.objects.select_related("developer").order_by("day", "developer__email", "model", "source")
        if since:
            rows = rows.filter(day__gte=since)
        if until:
            rows = rows.filter(day__lte=until)
        if developer:
            rows = rows.filter(developer__email=developer.strip().lower())
        records = [self._record(r) for r in rows.iterator(chunk_size=2000)]
        if json:
            self.stdout.write(orjson.dumps(records, option=orjson.OPT_INDENT_2).decode())
            return
        for r in records:
            self.stdout.write(
                f"{r['day']}  {r['developer']:<30} {r['model']:<28} {r['requests']:>6} req  ${r['cost']}"
                + (f"  ({r['unpriced_requests']} unpriced)" if r["unpriced_requests"] else "")
            )

    @staticmethod
    def _record(row: DailyCost) -> dict:
        return {
            "day": row.day.isoformat(),
            "developer": row.developer.email,
            "model": row.model,
            "source": row.source,
            **{f: getattr(row, f) for f in TOKEN_SUMS},
            "requests": row.requests,
            "sessions": row.sessions,
            "unpriced_requests": row.unpriced_requests,
            "cost": decimal_str(row.cost),
        }
