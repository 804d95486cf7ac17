"""The deterministic sweep of test_parsers_fuzz, through the import service: for each line-based or
CSV seed, one file holding every single-field edit of it (a line or row each), imported together
with a good transcript. The batch must end ``done`` (the bad lines rejected, the good file
landed), nothing stored NaN or out of range, the rollup recompute passing. When it does not, each
file is imported alone to name the ones that fail.
"""
import copy
from pathlib import Path
import tempfile

import pytest

from costdash.ingest.models import ImportBatch, UsageEvent
from costdash.ingest.services import usage_import
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.fuzz.hostile import Doc, doc_bytes, sweep_values
from tests.fuzz.invariants import stored_problems
from tests.fuzz.receiving import GOOD_LOGS, origin, rolled_back
from tests.fuzz.seeds import seeds
from tests.fuzz.test_file_import_fuzz import EMAIL, GOOD, GOOD_KEYS
from tests.fuzz.test_receivers_sweep import variants

pytestmark = pytest.mark.django_db


def csv_variants(doc: Doc) -> bytes:
    """One CSV file: the header, then the seed's first row once per edited cell."""
    edited = Doc("csv", header=list(doc.header), rows=[])
    for column in doc.header:
        original = doc.rows[0][column]
        for new in [*sweep_values(original), *sweep_values(original + "x"), ""]:
            row = copy.deepcopy(doc.rows[0])
            row[column] = str(new)
            edited.rows.append(row)
    return doc_bytes(edited)


def sweep_files(samples: Path) -> dict[str, bytes]:
    """File name -> content: every line-based and CSV seed's single-field edits."""
    files = {}
    for source, docs in sorted(seeds(samples).items()):
        for name, doc in docs:
            if doc.kind == "csv":
                files[f"{source}_{name}"] = csv_variants(doc)
            elif doc.kind == "jsonl":
                # A whole OTLP capture per edit is large: its one-record twin is edited instead.
                seed = GOOD_LOGS if source == "otel" else doc.value[0]
                files[f"{source}_{name}"] = b"".join(v + b"\n" for _, v in variants(seed))
    return files


def import_problem(folder: Path) -> str | None:
    """Why importing ``folder`` breaks the contract, or None."""
    with rolled_back():
        try:
            batch = usage_import([folder], developer_email=EMAIL)
            batch.refresh_from_db()
            if batch.status != ImportBatch.Status.DONE or batch.failure:
                return f"batch ended {batch.status}: {batch.failure[:300]!r}"
            if UsageEvent.objects.filter(pk__in=GOOD_KEYS).count() != len(GOOD_KEYS):
                return "the good file beside the bad ones did not land"
            daily_cost_recompute_dirty()
            problems = stored_problems()
            return "\n    ".join(problems[:5]) if problems else None
        except Exception as exc:  # noqa: BLE001 - named below with where it was raised
            return f"{type(exc).__name__} at {origin(exc)}: {str(exc)[:300]}"


def test_every_read_field_edited_in_one_import_ends_done(samples):
    files = sweep_files(samples)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, content in {**files, "good.jsonl": GOOD}.items():
            (root / name).write_bytes(content)
        whole = import_problem(root)
    if whole is None:
        return
    culprits = []
    for name, content in files.items():
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / name).write_bytes(content)
            (Path(folder) / "good.jsonl").write_bytes(GOOD)
            if problem := import_problem(Path(folder)):
                culprits.append(f"{name}: {problem}")
    pytest.fail(f"importing every edit at once: {whole}\nalone, these files fail:\n" + "\n".join(culprits))
