"""The import pages (issue 13): an admin's transcripts without a developer are refused in the form
(a plain file or inside an archive), a batch page says what landed where (dates, cost, developers,
a link whose range holds it), never "queued" beside "done", and never a server path."""
import io
import json
import tarfile
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
import pytest

from costdash.ingest.models import ImportBatch

from .transcripts import assistant_line

pytestmark = pytest.mark.django_db
UPLOAD = reverse("ingest:upload")
FEBRUARY = [assistant_line(msg="m1", req="r1", ts="2026-02-03T10:00:00.000Z"),
            assistant_line(msg="m2", req="r2", ts="2026-02-05T10:00:00.000Z", output=7),
            "broken"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def body(lines) -> bytes:
    return ("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n").encode()


def zipped(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("README.md", b"notes")
        zf.writestr(name, data)
    return buf.getvalue()


def tarred(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize(("name", "data"), [
    ("s.jsonl", body(FEBRUARY)),
    ("projects.zip", zipped("projects/-home-ana-app/s.jsonl", body(FEBRUARY))),
    ("projects.tar.gz", tarred("projects/-home-ana-app/s.jsonl", body(FEBRUARY))),
])
def test_transcripts_without_a_developer_are_refused_in_the_form(client, admin_user, name, data):
    client.force_login(admin_user)
    response = client.post(UPLOAD, {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 200
    assert "This file holds Claude Code transcripts" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_format_that_names_its_people_needs_no_developer(client, admin_user, samples,
                                                          django_capture_on_commit_callbacks):
    spendlogs = samples / "litellm" / "litellm_spendlog_example_trimmed.json"
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(UPLOAD, {"file": SimpleUploadedFile(spendlogs.name, spendlogs.read_bytes())})
    assert response.status_code == 302 and ImportBatch.objects.count() == 1


def test_the_batch_page_says_what_landed_where_without_server_paths(client, admin_user, settings,
                                                                    django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(UPLOAD, {"file": SimpleUploadedFile("feb.jsonl", body(FEBRUARY)), "developer_email": "bo@example.com"})
    batch = ImportBatch.objects.get()
    response = client.get(reverse("ingest:batch", args=[batch.pk]))  # the upload's message shows here
    assert batch.status == "done" and batch.rejected == 1
    assert str(settings.MEDIA_ROOT) in batch.errors[0]["file"]  # stored as read; never shown
    html = response.content.decode()
    assert "queued" not in html and "uploaded as import" in html
    assert str(settings.MEDIA_ROOT) not in html and "uploads/" not in html and "<td>feb.jsonl</td>" in html
    landed = html[html.index('id="landed"'):]
    assert "Feb 3, 2026" in landed and "Feb 5, 2026" in landed and "bo@example.com" in landed
    assert "2 rows" in landed and "$0.0" in landed
    bo = batch.developer
    assert f'href="{reverse("dashboard:developer", args=[bo.pk])}?since=2026-02-03&amp;until=2026-02-05"' in landed


def test_a_failure_message_names_the_upload_not_its_server_path(client, admin_user, settings,
                                                                django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(UPLOAD, {"file": SimpleUploadedFile("feb.jsonl", body(FEBRUARY)), "developer_email": "bo@example.com"})
    batch = ImportBatch.objects.get()
    batch.failure = f"OSError: [Errno 5] Input/output error: '{batch.upload.path}'"
    batch.save()
    html = client.get(reverse("ingest:batch", args=[batch.pk])).content.decode()
    assert "Input/output error: &#x27;feb.jsonl&#x27;" in html and str(settings.MEDIA_ROOT) not in html


def test_the_file_apis_status_names_files_without_server_paths(client, admin_user, settings,
                                                               django_capture_on_commit_callbacks):
    from costdash.ingest.live import ingest_token_create
    from costdash.ingest.models import IngestToken

    _, secret = ingest_token_create(name="nightly", kind=IngestToken.Kind.FILES, user=admin_user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("files_import"), {"file": SimpleUploadedFile("feb.jsonl", body(FEBRUARY)),
                                                         "developer_email": "bo@example.com"}, **auth)
    status = client.get(response.json()["status_url"], **auth).json()
    assert status["rejected"] == 1 and status["errors"][0]["file"] == "feb.jsonl"
    assert str(settings.MEDIA_ROOT) not in json.dumps(status)
