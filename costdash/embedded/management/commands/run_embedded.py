"""``manage.py run_embedded [addrport]``: what `make run` serves; see costdash.embedded.processes."""
from django.conf import settings
from django.core.management.base import BaseCommand

from costdash.embedded.processes import embedded_commands, embedded_run


class Command(BaseCommand):
    help = ("Serve costdash with its schedule: runserver on ADDRPORT and a Celery worker with embedded beat "
            "(the broker a folder under the data directory when REDIS_URL is not set). Ctrl-C stops both.")

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000",
                            help="As runserver's (default 127.0.0.1:8000).")
        parser.add_argument("--noreload", action="store_true",
                            help="Do not restart the web server when code changes.")
        parser.add_argument("--worker-loglevel", default=settings.COSTDASH_WORKER_LOG_LEVEL,
                            help="The worker's log level (default COSTDASH_WORKER_LOG_LEVEL, WARNING; "
                                 "INFO logs each task it takes).")

    def handle(self, *args, addrport, noreload, worker_loglevel, **options):
        schedule = settings.CELERY_BEAT_SCHEDULE
        broker = "Redis (REDIS_URL)" if settings.REDIS_URL else f"the folder {settings.DATA_DIR / 'celery'}"
        self.stdout.write(
            f"Worker with embedded beat on {broker}: {len(schedule)} scheduled tasks, alerts checked every "
            f"{schedule['alerts-evaluate']['schedule']} s (COSTDASH_ALERT_CHECK_SECONDS)."
        )
        status = embedded_run(
            embedded_commands(addrport, reload=not noreload, worker_loglevel=worker_loglevel),
            say=self.stdout.write,
        )
        if status:
            raise SystemExit(status)
