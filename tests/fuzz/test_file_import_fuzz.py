"""File imports of hostile edits of the real samples, through the import service (a folder or a
.zip of several formats) and through POST /ingest/files: the batch ends ``done``, with its
rejections counted, never ``failed`` or left ``running``; the good file beside the bad ones lands;
nothing stored is NaN or out of range; the rollup recompute of it does not fail.

Each example runs in a savepoint rolled back at its end, as in test_receivers_fuzz.
"""
import io
from pathlib import Path
import tempfile
import zipfile

from django.test import Client, TestCase, override_settings
from hypothesis import given, settings
from hypothesis import strategies as st
import orjson
import pytest

from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import ImportBatch, IngestToken, UsageEvent
from costdash.ingest.parsers import claude_code_jsonl
from costdash.ingest.parsers.base import ParseStats
from costdash.ingest.services import usage_import
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.fuzz.budget import examples
from tests.fuzz.hostile import mutated
from tests.fuzz.invariants import stored_problems
from tests.fuzz.receiving import GOOD_LINE, keys_of, rolled_back
from tests.fuzz.seeds import seeds

pytestmark = pytest.mark.django_db

EMAIL = "fuzz@example.com"
GOOD = orjson.dumps(GOOD_LINE) + b"\n"
GOOD_KEYS = keys_of(claude_code_jsonl.parse(io.BytesIO(GOOD), "good", ParseStats()))


@st.composite
def mutated_files(draw, samples: Path, max_files: int = 3) -> dict[str, bytes]:
    """File name -> bytes: one to ``max_files`` edited samples of drawn formats."""
    catalogue = [(source, name, doc) for source, docs in sorted(seeds(samples).items()) for name, doc in docs]
    picks = draw(st.lists(st.integers(0, len(catalogue) - 1), min_size=1, max_size=max_files, unique=True))
    return {f"{i}_{catalogue[p][1]}": draw(mutated(catalogue[p][2])) for i, p in enumerate(picks)}


def check_batch(batch: ImportBatch) -> None:
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE, f"batch ended {batch.status}: {batch.failure!r}"
    assert not batch.failure, batch.failure
    daily_cost_recompute_dirty()  # issue 11 #1: a stored far-future time must not break the rollup
    problems = stored_problems()
    assert not problems, "\n".join(problems[:10])


@settings(max_examples=examples(15))
@given(data=st.data(), as_zip=st.booleans())
def test_import_of_edited_files_ends_done_and_keeps_the_good_file(samples, data, as_zip):
    files = data.draw(mutated_files(samples), label="files")
    files["good.jsonl"] = GOOD
    with tempfile.TemporaryDirectory() as folder, rolled_back():
        root = Path(folder)
        if as_zip:
            with zipfile.ZipFile(root / "upload.zip", "w") as archive:
                for name, content in files.items():
                    archive.writestr(name, content)
            paths = [root / "upload.zip"]
        else:
            for name, content in files.items():
                (root / name).write_bytes(content)
            paths = [root]
        batch = usage_import(paths, developer_email=EMAIL)
        check_batch(batch)
        assert UsageEvent.objects.filter(pk__in=GOOD_KEYS).count() == len(GOOD_KEYS), "the good file did not land"


@settings(max_examples=examples(15))
@given(data=st.data())
def test_files_api_import_of_an_edited_file_ends_done(samples, data):
    (name, content), = data.draw(mutated_files(samples, max_files=1), label="file").items()
    # Uploads are stored as files: into a folder removed after the example, not into var/.
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media), rolled_back():
        secret = ingest_token_create(name="fuzz", kind=IngestToken.Kind.FILES)[1]
        client = Client(raise_request_exception=False)
        with TestCase.captureOnCommitCallbacks(execute=True):  # the import runs (Celery is eager here)
            response = client.post(f"/ingest/files?name={name}&developer_email={EMAIL}", data=content,
                                   content_type="application/octet-stream",
                                   headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code < 500, f"{response.status_code}: {response.content[:2000]!r}"
        if response.status_code >= 400:
            assert response.json().get("error"), response.content[:2000]
            return
        assert response.status_code == 202, response.content[:2000]
        check_batch(ImportBatch.objects.get(pk=response.json()["batch"]))
