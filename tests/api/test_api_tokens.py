"""API tokens: made on /api/tokens/ (the secret shown once, only its sha256 kept), accepted as Bearer
or Token, refused when wrong, revoked or its user inactive; the session works too (with CSRF for writes);
each user sees and revokes only their own tokens, admins everyone's."""
from datetime import timedelta
import hashlib
import re

from django.test import Client
from django.utils import timezone
import pytest
from rest_framework.test import APIClient

from costdash.api.models import ApiToken
from costdash.api.services import LAST_USED_RESOLUTION, api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db
URL = "/api/v1/developers/"


def made_on_the_page(client, name="finance script") -> str:
    html = client.post("/api/tokens/", {"name": name}).content.decode()
    return re.search(r'<code id="new-token">(cdk_[\w-]+)</code>', html).group(1)


def test_a_token_made_on_the_page_is_shown_once_and_stored_as_its_hash(client, developer_user):
    client.force_login(developer_user)
    secret = made_on_the_page(client)
    token = ApiToken.objects.get()
    assert token.user == developer_user and token.name == "finance script" and len(secret) > 40
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest() and token.prefix == secret[:10]
    listing = client.get("/api/tokens/").content.decode()
    assert secret not in listing and f"{token.prefix}…" in listing and "finance script" in listing


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_a_valid_token_authenticates_as_its_user(developer_user, keyword):
    _, secret = api_token_create(user=developer_user, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {secret}")
    response = client.get(URL)
    assert response.status_code == 200 and response.json()["count"] == 0  # Ana has no usage yet
    assert ApiToken.objects.get().last_used_at is not None


def test_last_used_is_written_at_most_once_a_minute(developer_user):
    token, secret = api_token_create(user=developer_user, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    recent = timezone.now() - LAST_USED_RESOLUTION + timedelta(seconds=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    assert client.get(URL).status_code == 200
    assert ApiToken.objects.get().last_used_at == recent  # within the minute: no write
    stale = recent - timedelta(seconds=10)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    assert client.get(URL).status_code == 200
    assert ApiToken.objects.get().last_used_at > recent


@pytest.mark.parametrize("header", [
    None, "Bearer cdk_not-a-token", "Bearer cdi_an-ingest-token", "Token", "Bearer a b", "Basic dXNlcjpwdw==",
])
def test_no_token_or_a_wrong_one_is_401(developer_user, header):
    api_token_create(user=developer_user, name="t")
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="costdash API"'


def test_a_revoked_token_is_refused_at_once(developer_user):
    token, secret = api_token_create(user=developer_user, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(URL).status_code == 200
    assert api_token_revoke(token) and not api_token_revoke(token)
    response = client.get(URL)
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_an_inactive_users_token_is_refused(developer_user):
    _, secret = api_token_create(user=developer_user, name="t")
    developer_user.is_active = False
    developer_user.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(URL).status_code == 401


def test_the_session_authenticates_and_writes_need_its_csrf_token(team, developer_user, default_alert):
    client = Client(enforce_csrf_checks=True)
    client.force_login(developer_user)
    assert client.get(URL).status_code == 200
    ack = f"/api/v1/alerts/{default_alert.pk}/acknowledge/"
    refused = client.post(ack, {"note": "seen"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    client.get("/api/tokens/")  # sets the CSRF cookie
    accepted = client.post(ack, {"note": "seen"}, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert accepted.status_code == 200 and accepted.json()["ack_note"] == "seen"


def test_a_token_needs_no_csrf_token(team, developer_user, default_alert, api_as):
    response = api_as(developer_user).post(f"/api/v1/alerts/{default_alert.pk}/acknowledge/", {"note": ""})
    assert response.status_code == 200


def test_each_user_sees_and_revokes_only_their_own_tokens(client, developer_user, billing_user):
    mine, _ = api_token_create(user=developer_user, name="mine")
    theirs, _ = api_token_create(user=billing_user, name="theirs")
    client.force_login(developer_user)
    html = client.get("/api/tokens/").content.decode()
    assert "mine" in html and "theirs" not in html
    assert client.post(f"/api/tokens/{theirs.pk}/revoke/").status_code == 404
    assert client.post(f"/api/tokens/{mine.pk}/revoke/").status_code == 302
    assert list(ApiToken.objects.filter(revoked_at=None)) == [theirs]


def test_admins_see_and_revoke_everyones_tokens(client, admin_user, developer_user):
    token, _ = api_token_create(user=developer_user, name="ana's script")
    client.force_login(admin_user)
    html = client.get("/api/tokens/").content.decode()
    assert "ana&#x27;s script" in html and "<td>ana</td>" in html
    assert f'<form method="post" action="/api/tokens/{token.pk}/revoke/">' in html
    assert client.post(f"/api/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert not token.active


def test_a_token_sees_what_its_user_sees(team, developer_user, billing_user, api_as):
    assert {row["developer"] for row in api_as(developer_user).get(URL).json()["results"]} == {"Ana"}
    assert {row["developer"] for row in api_as(billing_user).get(URL).json()["results"]} == {"Ana", "Bo Brannigan"}
