"""The file-import API: any format over HTTP with a revocable token, then poll the batch."""
from decimal import Decimal

from django.urls import reverse
import pytest

from costdash.ingest.live import ingest_token_create, ingest_token_revoke
from costdash.ingest.models import ImportBatch, IngestToken, UsageEvent
from costdash.rollups.models import DailyCost
from tests.ingest.transcripts import assistant_line, write_jsonl

URL = reverse("files_import")


@pytest.fixture
def token(admin_user):
    return ingest_token_create(name="nightly export", kind=IngestToken.Kind.FILES, user=admin_user)


def auth(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_a_spendlogs_file_posted_raw_is_imported_and_its_status_polled(client, token, samples,
                                                                       django_capture_on_commit_callbacks):
    body = (samples / "litellm" / "litellm_spendlog_example_trimmed.json").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{URL}?name=spend.json", body, content_type="application/json", **auth(token[1]))
    assert response.status_code == 202, response.content
    status = client.get(response.json()["status_url"], **auth(token[1])).json()
    assert (status["status"], status["requests_new"], status["rejected"]) == ("done", 1, 0)
    # The sample row prices to LiteLLM's own spend (the format notes work it out: $0.039186).
    assert UsageEvent.objects.get().cost == Decimal("0.039186")
    assert IngestToken.objects.get(pk=token[0].pk).requests == 1


def test_a_transcript_posted_multipart_belongs_to_the_named_developer(client, token, tmp_path,
                                                                      django_capture_on_commit_callbacks):
    path = write_jsonl(tmp_path / "s.jsonl", [assistant_line(msg="msg_1", req="req_1", output=1000)])
    with django_capture_on_commit_callbacks(execute=True), path.open("rb") as f:
        response = client.post(URL, {"file": f, "developer_email": "ana@example.com"}, **auth(token[1]))
    assert response.status_code == 202, response.content
    batch = ImportBatch.objects.get(pk=response.json()["batch"])
    assert (batch.status, batch.requests_new) == ("done", 1)
    assert DailyCost.objects.get().developer.email == "ana@example.com"


@pytest.mark.parametrize(
    ("query", "body", "status", "message"),
    [
        ("", b"{}", 400, "name the file"),
        ("?name=notes.txt", b"hello", 400, "expected one of"),
        ("?name=x.jsonl", b"", 400, "empty body"),
        ("?name=x.jsonl&developer_email=not-an-email", b"{}\n", 400, "developer_email"),
    ],
)
def test_bad_requests_get_a_clear_4xx(client, token, query, body, status, message):
    response = client.post(f"{URL}{query}", body, content_type="application/octet-stream", **auth(token[1]))
    assert response.status_code == status
    assert message in response.json()["error"]
    assert not ImportBatch.objects.exists()


def test_without_a_valid_token_nothing_is_queued(client, token, admin_user):
    other_kind = ingest_token_create(name="otel", kind=IngestToken.Kind.OTLP, user=admin_user)[1]
    for headers in ({}, auth("cdi_wrong"), auth(other_kind)):
        assert client.post(f"{URL}?name=a.jsonl", b"{}\n", content_type="text/plain", **headers).status_code == 401
    ingest_token_revoke(token[0])
    assert client.post(f"{URL}?name=a.jsonl", b"{}\n", content_type="text/plain", **auth(token[1])).status_code == 401
    assert not ImportBatch.objects.exists()


def test_oversized_bodies_are_refused(client, token, settings):
    settings.COSTDASH_UPLOAD_MAX_BYTES = 10
    response = client.post(f"{URL}?name=a.jsonl", b"x" * 11, content_type="text/plain", **auth(token[1]))
    assert response.status_code == 413


def test_status_of_someone_elses_batch_is_not_shown(client, token, billing_user):
    theirs = ImportBatch.objects.create(source="files", label="theirs.csv", created_by=billing_user)
    response = client.get(reverse("files_import_status", args=[theirs.pk]), **auth(token[1]))
    assert response.status_code == 404
