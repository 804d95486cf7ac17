"""python manage.py import_usage PATH... --developer EMAIL"""
from contextlib import nullcontext
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from costdash.ingest.models import ImportBatch
from costdash.ingest.services import usage_import
from costdash.ingest.summary import batch_summary_lines


class Command(BaseCommand):
    help = (
        "Import usage files: Claude Code transcripts (a .jsonl file, a copy of ~/.claude/projects, "
        "or a .zip / .tar.gz of one) for the developer named by --developer, and any other supported "
        "format, whose rows name their own people. Safe to run again: nothing is counted twice."
    )
    # The system checks import every URLconf, view and chart module (most of a second or two):
    # an import needs none of them. `manage.py check` and `runserver` still run them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument(
            "--developer", help="the email of the developer the Claude Code transcripts belong to (they name nobody)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, paths, developer, no_progress, **options):
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"no such file or folder: {', '.join(missing)}")
        bar, progress, on_total = nullcontext(), None, None
        if not no_progress:
            from tqdm import tqdm  # here: --no-progress (scripts, the benchmark) starts without it

            bar = tqdm(
                total=None, unit="B", unit_scale=True, unit_divisor=1024, desc="importing",
                disable=None, file=self.stderr._out,
            )
            progress = bar.update

            def on_total(n: int) -> None:
                bar.total = n
                bar.refresh()

        try:
            with bar:
                batch = usage_import(paths, developer_email=developer, progress=progress, on_total=on_total)
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from None
        for line in batch_summary_lines(batch):
            self.stdout.write(line)
        if batch.status == ImportBatch.Status.FAILED:
            raise CommandError(f"import failed: {batch.failure}")
