"""Ingest tokens under a flood: each token may send COSTDASH_INGEST_RATES[its kind] requests per period; past
that the receiver answers 429 with Retry-After before reading the body, and other tokens are unaffected. A push
token stops working when its developer's login is deactivated."""
import pytest

from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import IngestToken
from tests.factories import DeveloperFactory

pytestmark = pytest.mark.django_db
RATES = {"otlp": "2/minute", "litellm": "2/minute", "transcripts": "2/minute", "files": "2/minute"}


def post(client, url, secret, body=b"", content_type="application/json"):
    return client.post(url, data=body, content_type=content_type, headers={"Authorization": f"Bearer {secret}"})


@pytest.mark.parametrize(("url", "kind", "content_type", "first"), [
    ("/ingest/litellm", "litellm", "application/json", 400),  # an empty body: read, and refused as such
    ("/v1/logs", "otlp", "application/json", 415),  # an empty body comes with no Content-Type
    ("/v1/metrics", "otlp", "application/json", 415),
    ("/ingest/transcripts", "transcripts", "application/x-ndjson", 400),
    ("/ingest/files", "files", "application/octet-stream", 400),  # no ?name=
])
def test_past_its_rate_a_token_gets_429_with_retry_after(client, settings, url, kind, content_type, first):
    settings.COSTDASH_INGEST_RATES = RATES
    developer = DeveloperFactory(email="ana@example.com") if kind == "transcripts" else None
    _, busy = ingest_token_create(name="busy", kind=kind, developer=developer)
    _, calm = ingest_token_create(name="calm", kind=kind, developer=developer)
    assert [post(client, url, busy, content_type=content_type).status_code for _ in range(2)] == [first, first]
    refused = post(client, url, busy, b'{"resourceLogs": []}', content_type)
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["error"] == (f"this ingest token sent more than 2/minute requests: send again in "
                                       f"{refused['Retry-After']} s (batch more records per request)")
    assert post(client, url, calm, content_type=content_type).status_code == first  # per token


def test_the_file_import_status_counts_too(client, settings, admin_user):
    settings.COSTDASH_INGEST_RATES = RATES
    _, secret = ingest_token_create(name="ci", kind="files", user=admin_user)
    answers = [client.get("/ingest/files/999", headers={"Authorization": f"Bearer {secret}"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 429] and answers[2]["Retry-After"]


def test_the_default_rates_are_generous_and_checked_at_start_up():
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from costdash import settings as module
    assert settings.COSTDASH_INGEST_RATES == {"otlp": "30000/minute", "litellm": "30000/minute",
                                              "transcripts": "600/minute", "files": "120/minute"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COSTDASH_INGEST_RATE_OTLP", "lots")
        with pytest.raises(ImproperlyConfigured, match="COSTDASH_INGEST_RATE_OTLP must be a rate like 600/minute"):
            module.env_rate("COSTDASH_INGEST_RATE_OTLP", "30000/minute")


def test_a_push_token_stops_when_its_developers_login_is_deactivated(client, developer_user):
    from costdash.accounts.models import Developer

    ana = Developer.objects.get(user=developer_user)
    _, secret = ingest_token_create(name="laptop", kind=IngestToken.Kind.TRANSCRIPTS, developer=ana)
    developer_user.is_active = False
    developer_user.save()
    assert post(client, "/ingest/transcripts", secret, content_type="application/x-ndjson").status_code == 401
    _, unlinked = ingest_token_create(name="box", kind=IngestToken.Kind.TRANSCRIPTS,
                                      developer=DeveloperFactory(email="bo@example.com"))
    assert post(client, "/ingest/transcripts", unlinked, content_type="application/x-ndjson").status_code == 400
