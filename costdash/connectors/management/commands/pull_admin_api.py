"""python manage.py pull_admin_api [--connection NAME]"""
from django.core.management.base import BaseCommand, CommandError

from costdash.connectors.models import AdminApiConnection
from costdash.connectors.services import admin_api_pull
from costdash.ingest.models import ImportBatch


class Command(BaseCommand):
    help = (
        "Pull the Anthropic Admin API now (usage, cost, Claude Code analytics) for every enabled connection, "
        "or the one named. Prints a line per page. Safe to run again: nothing is counted twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--connection", help="the name of one connection (enabled or not)")

    def handle(self, *args, connection, **options):
        if connection:
            connections = list(AdminApiConnection.objects.filter(name=connection))
            if not connections:
                raise CommandError(f"no Admin API connection named {connection!r}")
        else:
            connections = list(AdminApiConnection.objects.filter(enabled=True))
            if not connections:
                raise CommandError("no enabled Admin API connection: add one on the Connectors page")
        failed = []
        for c in connections:
            batches = admin_api_pull(c.pk, progress=self.stdout.write)
            if batches is None:
                self.stdout.write(f"{c.name}: another run is pulling it; skipped")
                continue
            for b in batches:
                self.stdout.write(
                    f"{c.name} {b.source}: {b.status}, import #{b.pk}: {b.records_new} new, {b.records_updated} "
                    f"updated, {b.records_unchanged} unchanged, {b.rejected} rejected"
                    + (f"; {b.failure}" if b.failure else "")
                )
            c.refresh_from_db()
            if c.last_error or any(b.status == ImportBatch.Status.FAILED for b in batches):
                failed.append(c.name)
        if failed:
            raise CommandError(f"the pull of {', '.join(failed)} failed (see above)")
