"""The admin key goes only where it was entered for, and only over https (issue 11, item 6).

Changing a connection's base URL clears the stored key; a pull with no key sends nothing and says
why; the form takes https only (plain http to a loopback host only with
COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK); and lib/http.py refuses to send a credential over plain http
to any other host even when the database was edited by hand. Every "nothing was sent" is checked on
a real local server's record of the requests it received.
"""
import pytest

from costdash.connectors.client import AdminApiClient, PullError
from costdash.connectors.models import AdminApiConnection
from costdash.connectors.services import NO_KEY, admin_api_pull
from costdash.lib.http import HttpError, http_get, http_post, is_loopback
from tests.connectors.conftest import FAST, KEY, TODAY
from tests.connectors.fake_admin_api import FakeAdminApi
from tests.connectors.test_connector_pages import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def elsewhere():
    """Another real HTTP server on 127.0.0.1: where an admin points the connection."""
    server = FakeAdminApi(KEY).start()
    yield server
    server.stop()


def keys_received(server: FakeAdminApi) -> list[str]:
    return [seen.headers["x-api-key"] for seen in server.seen if "x-api-key" in seen.headers]


def edit_form(connection, **overrides) -> dict:
    fields = {"name": connection.name, "start_date": connection.start_date.isoformat(), "admin_key": ""}
    return form_data(**{**fields, **overrides})


def test_a_new_base_url_with_the_key_left_blank_clears_it_and_pull_now_sends_nothing(
        client, admin_user, make_connection, elsewhere):
    connection = make_connection()
    client.force_login(admin_user)

    saved = client.post(f"/connectors/{connection.pk}/", edit_form(connection, base_url=elsewhere.url), follow=True)
    pulled = client.post(f"/connectors/{connection.pk}/pull/", follow=True)  # tasks run in-process here

    assert keys_received(elsewhere) == [] and elsewhere.seen == []
    assert saved.status_code == 200
    assert "stored admin key was cleared" in saved.content.decode()
    connection.refresh_from_db()
    assert connection.base_url == elsewhere.url and connection.key_ciphertext == "" and connection.key_hint == ""
    assert "none: edit the connection and enter it again" in client.get("/connectors/").content.decode()
    assert "Changing the base URL clears the stored key" in client.get(f"/connectors/{connection.pk}/").content.decode()
    html = pulled.content.decode()
    assert "was not pulled" in html and "enter the key again" in html
    # The scheduled pull refuses the same way, and says so where the page shows a run's error.
    assert admin_api_pull(connection.pk, retry=FAST, today=TODAY) == []
    connection.refresh_from_db()
    assert connection.last_error == NO_KEY and elsewhere.seen == []
    assert NO_KEY in client.get("/connectors/").content.decode()


def test_a_new_base_url_with_the_key_entered_again_pulls_there(client, admin_user, make_connection, elsewhere,
                                                               samples):
    from tests.connectors.conftest import fill

    fill(elsewhere, samples)
    connection = make_connection()
    client.force_login(admin_user)
    client.post(f"/connectors/{connection.pk}/", edit_form(connection, base_url=elsewhere.url, admin_key=KEY))
    connection.refresh_from_db()
    assert connection.admin_key() == KEY

    admin_api_pull(connection.pk, retry=FAST, today=TODAY)

    assert keys_received(elsewhere) and set(keys_received(elsewhere)) == {KEY}


def test_the_form_takes_https_only_and_loopback_http_only_when_allowed(client, admin_user, make_connection,
                                                                       settings, elsewhere):
    connection = make_connection()
    client.force_login(admin_user)
    settings.COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK = False
    for url in (elsewhere.url, "http://localhost:8022", "http://api.example.com", "ftp://api.example.com",
                "https://user:pw@api.example.com"):
        page = client.post(f"/connectors/{connection.pk}/", edit_form(connection, base_url=url, admin_key=KEY))
        assert page.status_code == 200, url
        assert "field-error" in page.content.decode(), url
    connection.refresh_from_db()
    assert connection.base_url != elsewhere.url and connection.admin_key() == KEY  # nothing saved

    settings.COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK = True
    refused = client.post(f"/connectors/{connection.pk}/", edit_form(connection, base_url="http://api.example.com"))
    assert refused.status_code == 200 and "Use an https:// address" in refused.content.decode()
    for url in (elsewhere.url, "https://proxy.example.com"):
        assert client.post(f"/connectors/{connection.pk}/",
                           edit_form(connection, base_url=url, admin_key=KEY)).status_code == 302, url
    assert elsewhere.seen == []


def test_a_base_url_edited_in_the_database_to_plain_http_gets_no_key(make_connection, fake_api, settings):
    connection = make_connection()  # on the stand-in: http://127.0.0.1:<port>
    settings.COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK = False  # as in production

    assert admin_api_pull(connection.pk, retry=FAST, today=TODAY) == []
    connection.refresh_from_db()
    assert "is not https" in connection.last_error

    # Past the service's check, lib/http.py itself refuses before connecting.
    client = AdminApiClient(connection.base_url, KEY, FAST)
    with pytest.raises(PullError) as caught:
        client.page("/v1/organizations/cost_report", [])
    assert caught.value.permanent and "plain http" in str(caught.value)
    assert fake_api.seen == []


@pytest.mark.parametrize("header", ["x-api-key", "X-Api-Key", "Authorization", "Cookie"])
def test_lib_http_never_sends_a_credential_over_plain_http_to_another_host(fake_api, settings, header):
    for allowed in (False, True):
        settings.COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK = allowed
        with pytest.raises(HttpError) as caught:
            http_get("http://api.example.com/v1/x", headers={header: KEY})
        assert caught.value.permanent and "plain http" in str(caught.value) and KEY not in str(caught.value)
        with pytest.raises(HttpError):
            http_post("http://hooks.example.com/x", b"{}", headers={header: KEY})
    settings.COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK = False
    with pytest.raises(HttpError):
        http_get(f"{fake_api.url}/v1/organizations/cost_report", headers={header: KEY})
    assert fake_api.seen == []
    # Without a credential, plain http is still fine (e.g. a webhook on an internal host).
    with pytest.raises(HttpError) as caught:
        http_get(f"{fake_api.url}/nowhere")
    assert caught.value.status == 401 and len(fake_api.seen) == 1


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("localhost", True), ("LocalHost", True),
    ("128.0.0.1", False), ("0.0.0.0", False), ("10.0.0.1", False), ("api.example.com", False),
    ("127.0.0.1.nip.io", False), ("localhost.example.com", False), ("", False), (None, False),
])
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


def test_a_new_connection_still_needs_a_key(client, admin_user):
    client.force_login(admin_user)
    page = client.post("/connectors/new/", form_data(admin_key=""))
    assert page.status_code == 200 and not AdminApiConnection.objects.exists()
