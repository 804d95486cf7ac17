"""The file-import API under hostile names and a broker outage (issue 11, items 5 and 7)."""
import io
import os
from pathlib import Path

from django.urls import reverse
import pytest

from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import ImportBatch, IngestToken
from costdash.ingest.services import import_batch_run

URL = reverse("files_import")


@pytest.fixture
def token(admin_user):
    return ingest_token_create(name="nightly export", kind=IngestToken.Kind.FILES, user=admin_user)[1]


def auth(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def files_under(*folders) -> set[str]:
    found = set()
    for folder in folders:
        for root, _dirs, names in os.walk(folder):
            found.update(os.path.join(root, n) for n in names)
    return found


@pytest.mark.parametrize("name", [
    "a%00b.jsonl", "a%0Ab.jsonl", "a%1Bb.csv", "..%2Fetc%2Fx.jsonl", "dir%2Fa.jsonl", "a%5Cb.jsonl",
    "x" * 300 + ".jsonl", "..",
])
def test_an_odd_file_name_is_a_400_and_leaves_no_file(client, token, settings, tmp_path, name):
    """NUL used to raise in the storage after the body was written to disk (500, orphan upload)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    body = b"x" * (6 * 1024 * 1024)  # past FILE_UPLOAD_MAX_MEMORY_SIZE: a temporary file would be made
    response = client.post(f"{URL}?name={name}", body, content_type="application/octet-stream", **auth(token))
    assert response.status_code == 400, response.content
    assert "name" in response.json()["error"]
    assert not ImportBatch.objects.exists()
    assert files_under(tmp_path / "media", tmp_path / "tmp") == set()


@pytest.mark.django_db(transaction=True)
def test_an_upload_while_the_broker_is_down_is_kept_pending_and_runs_later(client, token, samples, settings, tmp_path):
    """Nothing listens on port 1 (Redis down): the upload used to answer 500 after saving the batch.
    Now it answers 202, the batch is pending with its file stored, and running it later imports it
    (what the beat's import sweeper does once the broker is back)."""
    from costdash.celery import app
    from tests.celery_workers import use_broker_settings

    settings.MEDIA_ROOT = tmp_path / "media"
    body = (samples / "litellm" / "litellm_spendlog_example_trimmed.json").read_bytes()
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_publish_retry")}
    use_broker_settings(task_always_eager=False, broker_url="redis://127.0.0.1:1/0", task_publish_retry=False)
    try:
        response = client.post(f"{URL}?name=spend.json", body, content_type="application/json", **auth(token))
    finally:
        use_broker_settings(**saved)
    assert response.status_code == 202, response.content
    batch = ImportBatch.objects.get(pk=response.json()["batch"])
    assert batch.status == ImportBatch.Status.PENDING and Path(batch.upload.path).read_bytes() == body
    assert import_batch_run(batch.pk).status == ImportBatch.Status.DONE
    assert ImportBatch.objects.get(pk=batch.pk).requests_new == 1


def test_a_chunked_body_is_read(client, token, samples, django_capture_on_commit_callbacks):
    """Without Content-Length Django's stream is empty: the server's own (gunicorn decodes the chunks)
    is read. Here the test client's input stands in for gunicorn's; the gunicorn test is in
    test_bodies_hostile.py."""
    body = (samples / "litellm" / "litellm_spendlog_example_trimmed.json").read_bytes()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.generic("POST", f"{URL}?name=spend.json", b"", content_type="application/json",
                                  HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": io.BytesIO(body)}, **auth(token))
    assert response.status_code == 202, response.content
    assert ImportBatch.objects.get().requests_new == 1


