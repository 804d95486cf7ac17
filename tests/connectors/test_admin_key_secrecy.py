"""The admin key is encrypted at rest and appears in no page, log line, failure or error."""
import logging
import os
import subprocess
import sys

from cryptography.fernet import Fernet
from django.db import connection as db
import pytest

from costdash.connectors.models import AdminApiConnection
from costdash.connectors.services import admin_api_pull
from costdash.ingest.models import ImportBatch
from costdash.lib.encryption import SecretUnreadable, secret_decrypt, secret_encrypt
from tests.connectors.conftest import FAST, KEY, TODAY

pytestmark = pytest.mark.django_db
MIDDLE = KEY[15:-4]  # what the hint leaves out: must never appear anywhere


def raw_column(pk: int) -> str:
    with db.cursor() as cursor:
        cursor.execute("SELECT key_ciphertext FROM connectors_adminapiconnection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_the_key_is_stored_encrypted_and_decrypts_back(make_connection):
    connection = make_connection()
    stored = raw_column(connection.pk)
    assert KEY not in stored and MIDDLE not in stored and "sk-ant" not in stored
    assert AdminApiConnection.objects.get(pk=connection.pk).admin_key() == KEY
    assert connection.key_hint == f"sk-ant-admin01-…{KEY[-4:]}"
    assert KEY not in repr(connection) and KEY not in str(connection)


def test_a_configured_encryption_key_encrypts_and_the_old_derived_one_still_decrypts(settings):
    old = secret_encrypt(KEY)  # under the key derived from SECRET_KEY
    settings.COSTDASH_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    new = secret_encrypt(KEY)
    assert secret_decrypt(new) == KEY and secret_decrypt(old) == KEY
    settings.COSTDASH_ENCRYPTION_KEYS = []
    with pytest.raises(SecretUnreadable):
        secret_decrypt(new)  # only the configured key opens it


def test_a_key_no_one_can_decrypt_fails_the_run_with_a_clear_error(make_connection, settings, fake_api):
    connection = make_connection()
    settings.SECRET_KEY = "a-different-secret-key-after-a-rotation"

    assert admin_api_pull(connection.pk, retry=FAST, today=TODAY) == []

    connection.refresh_from_db()
    assert "cannot be decrypted" in connection.last_error and "enter it again" in connection.last_error
    assert fake_api.seen == []


def test_the_key_is_in_no_log_line_failure_or_error(make_connection, fake_api, caplog):
    connection = make_connection()
    # The server refuses the key and echoes it back in its error body (as a careless server might),
    # after a 429 and a 503 that are logged as retries.
    replies = iter([(429, {"retry-after": "0"}), (503, {})])

    def intercept(seen, served):
        status, headers = next(replies, (401, {}))
        return status, headers, f'{{"error": {{"message": "bad key {seen.headers["x-api-key"]}"}}}}'.encode()

    fake_api.intercept = intercept
    with caplog.at_level(logging.DEBUG):
        batches = admin_api_pull(connection.pk, retry=FAST, today=TODAY)

    assert batches[0].status == "failed" and "HTTP 401" in batches[0].failure
    assert "[admin key]" in batches[0].failure  # the echo was redacted, not dropped
    connection.refresh_from_db()
    texts = [connection.last_error, *(b.failure for b in ImportBatch.objects.all())]
    texts += [r.getMessage() for r in caplog.records] + [r.exc_text or "" for r in caplog.records]
    assert any("retry 1 of 3" in t for t in texts)  # the retries were logged...
    for text in texts:
        assert KEY not in text and MIDDLE not in text  # ...without the key


def test_pages_never_show_the_key(client, admin_user, make_connection, fake_api):
    connection = make_connection()
    fake_api.intercept = lambda seen, served: (401, {}, f'{{"echo": "{seen.headers["x-api-key"]}"}}'.encode())
    admin_api_pull(connection.pk, retry=FAST, today=TODAY)
    client.force_login(admin_user)

    pages = [client.get("/connectors/"), client.get(f"/connectors/{connection.pk}/"),
             client.get(f"/imports/{ImportBatch.objects.first().pk}/"), client.get("/imports/")]

    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert KEY not in html and MIDDLE not in html
    assert f"…{KEY[-4:]}" in pages[0].content.decode()  # the hint is shown
    assert "HTTP 401" in pages[0].content.decode()  # and the error, redacted


def test_a_malformed_encryption_key_stops_start_up():
    env = {**os.environ, "DJANGO_DEBUG": "1", "COSTDASH_ENCRYPTION_KEY": "not-a-fernet-key"}
    result = subprocess.run([sys.executable, "-c", "import costdash.settings"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "COSTDASH_ENCRYPTION_KEY: key 1 is not a Fernet key" in result.stderr
    assert "not-a-fernet-key" not in result.stderr.splitlines()[-1]  # the value itself is not printed
