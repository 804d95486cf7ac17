"""python manage.py usage_partitions [--ahead N] [--dry-run]: month partitions and raw-event retention."""
from django.conf import settings
from django.core.management.base import BaseCommand

from costdash.ingest import partitions, retention


class Command(BaseCommand):
    help = ("PostgreSQL: create the usage events' month partitions ahead (and one for each month with rows in the "
            "default partition), then remove raw events older than COSTDASH_RAW_EVENT_RETENTION_MONTHS (whole "
            "partitions; SQLite: DELETE in batches). Rollups, reports and closed months stay. Reports what is there.")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=settings.COSTDASH_USAGE_PARTITIONS_AHEAD,
                            help="months after the current one to create (default COSTDASH_USAGE_PARTITIONS_AHEAD)")
        parser.add_argument("--dry-run", action="store_true", help="create and remove nothing: say what would go")

    def handle(self, *args, ahead, dry_run, **options):
        out = self.stdout.write
        if partitions.partitioned():
            if dry_run:
                out("partitions: dry run, none created")
            else:
                created = partitions.partitions_ensure(max(ahead, 0))
                out(f"partitions: {len(created)} created" + (f" ({', '.join(created)})" if created else ""))
            for p in partitions.partitions_list():
                out(f"  {p.name}  {p.month:%Y-%m}  ~{p.rows:,} rows")
            out(f"  {partitions.DEFAULT}  (outside every month partition)  {partitions.default_rows():,} rows")
        else:
            out("partitions: none here (usage events are partitioned on PostgreSQL only)")
        for line in retention.retention_apply(dry_run=dry_run).lines():
            out(line)
