"""The words people read after an import: one place for the CLI and the pages.

No Django at import: the re-import of an unchanged tree that runs before Django is set up
(ingest.fast_reimport) prints its summary from here too.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import ImportBatch

SHOWN_ERRORS = 10


def batch_summary_lines(batch: ImportBatch) -> list[str]:
    lines = [
        f"Import #{batch.pk} ({batch.get_source_display()}) "
        f"{f'for {batch.developer}' if batch.developer else '(rows name their people)'}: {batch.status}",
        f"  files:      {batch.files_read} read"
        f"{f' ({batch.files_resumed} from where the last import stopped)' if batch.files_resumed else ''}, "
        f"{batch.files_unchanged} unchanged (skipped)",
        f"  lines:      {batch.lines:,} read, {batch.usage_lines:,} with usage",
        f"  requests:   {batch.requests_new:,} imported, {batch.requests_updated:,} updated to a larger copy, "
        f"{batch.duplicates:,} already stored (duplicates)",
        f"  rejected:   {batch.rejected:,}",
    ]
    if batch.failed_calls:  # errors of the source (429, overloaded...): stored apart, never billed
        from .failed_calls import failed_calls_label

        lines.insert(-1, f"  failed:     {failed_calls_label(batch.failed_calls)}")
    if batch.skipped_retention:  # ingest.retention: their days' events were removed, their rollups are final
        lines.insert(-1, f"  skipped:    {batch.skipped_retention:,} older than raw-event retention "
                         "(not imported, rollups unchanged)")
    if batch.conflicts:
        lines.insert(-1, f"  conflicts:  {batch.conflicts:,} stored for another person (kept as they were)")
    for reason, count in sorted(batch.rejected_by_reason.items(), key=lambda kv: -kv[1]):
        lines.append(f"    {count:,} × {reason}")
    for error in batch.errors[:SHOWN_ERRORS]:
        where = f"{error['file']}:{error['line']}" if error["line"] else error["file"]  # 0: the whole file
        lines.append(f"    {where}: {error['reason']}")
    shown = sum(error.get("count", 1) for error in batch.errors[:SHOWN_ERRORS])  # a run is many lines
    if batch.rejected > shown:
        lines.append(f"    … {batch.rejected - shown:,} more (see the import page)")
    if batch.unpriced_models:
        names = ", ".join(f"{u['model']} ({u['requests']} requests)" for u in batch.unpriced_models)
        lines.append(f"  unpriced:   {names} (no known price: stored with tokens, cost left empty, not $0)")
    else:
        lines.append("  unpriced:   none")
    if batch.failure:
        lines.append(f"  failure:    {batch.failure}")
    return lines
