"""The upload form and the import page: who may use them, and that an upload really imports."""
import io
import json
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
import pytest

from costdash.ingest.models import ImportBatch, UsageEvent
from costdash.ingest.services import import_batch_run
from costdash.rollups.models import DailyCost

from .transcripts import assistant_line

pytestmark = pytest.mark.django_db
UPLOAD = reverse("ingest:upload")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def jsonl_upload(name="s.jsonl", lines=None):
    lines = lines or [assistant_line(msg="m1", req="r1"), "broken", assistant_line(msg="m2", req="r2", output=7)]
    body = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    return SimpleUploadedFile(name, body.encode(), content_type="application/octet-stream")


def test_anonymous_is_sent_to_login(client):
    for url in (UPLOAD, reverse("ingest:batch", args=[1])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_billing_may_not_upload(client, billing_user):
    client.force_login(billing_user)
    assert client.get(UPLOAD).status_code == 403


def test_developer_upload_imports_their_own_transcripts(client, developer_user, django_capture_on_commit_callbacks):
    client.force_login(developer_user)
    assert "developer_email" not in client.get(UPLOAD).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(UPLOAD, {"file": jsonl_upload()})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("ingest:batch", args=[batch.pk])
    batch.refresh_from_db()
    assert (batch.status, batch.requests_new, batch.rejected) == ("done", 2, 1)
    assert set(UsageEvent.objects.values_list("developer__email", flat=True)) == {"ana@example.com"}
    assert DailyCost.objects.get().requests == 2  # the rollup task ran after the import
    page = client.get(response.url).content.decode()
    assert "malformed JSON" in page and "<td class=\"num\">2</td>" in page  # the bad line, by number


def test_admin_uploads_a_zip_for_another_developer(client, admin_user, django_capture_on_commit_callbacks):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("projects/x/s.jsonl", json.dumps(assistant_line()) + "\n")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(UPLOAD, {"file": SimpleUploadedFile("p.zip", buf.getvalue()), "developer_email": "bo@example.com"})
    assert UsageEvent.objects.get().developer.email == "bo@example.com"


def test_wrong_file_type_is_refused_with_its_name(client, developer_user):
    client.force_login(developer_user)
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("notes.txt", b"hello")})
    assert response.status_code == 200
    assert "notes.txt: expected one of" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_user_without_developer_is_told_so(client, outsider_user):
    client.force_login(outsider_user)
    assert "not linked to a developer" in client.get(UPLOAD).content.decode()


def test_batch_page_shows_only_your_own_imports(client, developer_user, outsider_user, admin_user,
                                               django_capture_on_commit_callbacks):
    client.force_login(developer_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(UPLOAD, {"file": jsonl_upload()})
    url = reverse("ingest:batch", args=[ImportBatch.objects.get().pk])
    client.force_login(outsider_user)
    assert client.get(url).status_code == 404
    client.force_login(admin_user)
    assert client.get(url).status_code == 200
    status = client.get(url + "?format=json").json()
    assert status["status"] == "done" and status["progress_percent"] == 100


def test_running_a_batch_twice_imports_once(client, developer_user, django_capture_on_commit_callbacks):
    client.force_login(developer_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(UPLOAD, {"file": jsonl_upload()})
    batch = ImportBatch.objects.get()
    assert import_batch_run(batch.pk).requests_new == 2  # the second run is claimed by nobody
    assert UsageEvent.objects.count() == 2


def test_an_admin_upload_of_transcripts_without_a_developer_is_refused_in_the_form(client, admin_user):
    client.force_login(admin_user)
    response = client.post(UPLOAD, {"file": jsonl_upload()})
    assert response.status_code == 200 and "do not say whose they are" in response.content.decode()
    assert not ImportBatch.objects.exists() and not UsageEvent.objects.exists()


def test_import_history_lists_only_what_the_user_may_see_and_filters(client, developer_user, admin_user,
                                                                      django_capture_on_commit_callbacks):
    history = reverse("ingest:history")
    assert client.get(history).url.startswith(reverse("login"))
    client.force_login(developer_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(UPLOAD, {"file": jsonl_upload()})
    ImportBatch.objects.create(source="otel", label="someone-elses.json", status="failed")
    page = client.get(history).content.decode()
    assert "s.jsonl" in page and "someone-elses.json" not in page
    client.force_login(admin_user)
    assert "someone-elses.json" in client.get(history).content.decode()
    filtered = client.get(history, {"status": "failed"}).content.decode()
    assert "someone-elses.json" in filtered and "s.jsonl" not in filtered


def test_ingest_tokens_page_is_for_admins_and_shows_a_secret_once(client, admin_user, developer_user):
    from costdash.ingest.live import ingest_token_check
    from costdash.ingest.models import IngestToken

    page = reverse("ingest:tokens")
    client.force_login(developer_user)
    assert client.get(page).status_code == 403
    client.force_login(admin_user)
    created = client.post(page, {"name": "collector", "kind": "otlp"})
    secret = created.context["created"]["secret"]
    assert secret in created.content.decode() and "OTEL_EXPORTER_OTLP_HEADERS" in created.content.decode()
    token = IngestToken.objects.get()
    assert token.digest != secret and secret not in client.get(page).content.decode()
    assert ingest_token_check(secret, "otlp") == token
    missing = client.post(page, {"name": "laptop", "kind": "transcripts"})
    assert "belongs to one developer" in missing.content.decode()
    client.post(reverse("ingest:token_revoke", args=[token.pk]))
    assert ingest_token_check(secret, "otlp") is None
