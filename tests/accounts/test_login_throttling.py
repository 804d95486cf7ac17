"""Login throttling (django-axes): wrong passwords for one username from one address lock that pair
out for the cool-off, right password included, with a page that says how long to wait; another
user from another address logs in meanwhile; the cool-off ends it; a password reset lifts it."""
from datetime import timedelta
import re

from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
import pytest

pytestmark = pytest.mark.django_db
ATTACKER, OFFICE = "203.0.113.7", "198.51.100.20"
RIGHT = "pw-for-tests-1"  # UserFactory's password


def log_in(client, username: str, password: str, address: str):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_defaults_come_from_the_environment_settings():
    assert settings.AXES_FAILURE_LIMIT == settings.COSTDASH_LOGIN_FAILURE_LIMIT == 10
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=settings.COSTDASH_LOGIN_COOLOFF_MINUTES) == timedelta(minutes=15)


def test_sixty_wrong_passwords_lock_the_pair_out_until_the_cool_off(client, developer_user, billing_user):
    answers = [log_in(client, "ana", f"guess-{i}", ATTACKER).status_code for i in range(60)]
    limit = settings.AXES_FAILURE_LIMIT
    assert answers[:limit - 1] == [200] * (limit - 1)  # the form again, with its error
    assert set(answers[limit:]) == {429}

    locked = log_in(client, "ana", RIGHT, ATTACKER)  # the right password is refused too while locked
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    text = locked.content.decode()
    minutes = settings.COSTDASH_LOGIN_COOLOFF_MINUTES
    assert f"Too many failed login attempts. Try again in {minutes} minutes." in text
    assert locked["Retry-After"] == str(minutes * 60)
    assert 'href="/password-reset/"' in text and client.get("/password-reset/").status_code == 200

    other = Client()  # another user, another address: unaffected
    assert log_in(other, "billing", RIGHT, OFFICE).status_code == 302

    # The cool-off passes (the failures are dated back past it): the right password works again.
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time
                                 - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    back = log_in(client, "ana", RIGHT, ATTACKER)
    assert back.status_code == 302 and back["Location"] == "/"


def test_the_same_user_from_another_address_is_not_locked_out(client, developer_user):
    for i in range(settings.AXES_FAILURE_LIMIT + 2):
        log_in(client, "ana", f"guess-{i}", ATTACKER)
    assert log_in(client, "ana", RIGHT, ATTACKER).status_code == 429
    assert log_in(Client(), "ana", RIGHT, OFFICE).status_code == 302


def test_the_admin_login_is_throttled_too(client, admin_user):
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "admin", "password": f"guess-{i}"}, REMOTE_ADDR=ATTACKER)
    assert client.post("/admin/login/", {"username": "admin", "password": RIGHT}, REMOTE_ADDR=ATTACKER).status_code == 429


def test_a_script_gets_json(client, developer_user):
    for i in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "ana", f"guess-{i}", ATTACKER)
    answer = client.post("/login/", {"username": "ana", "password": RIGHT}, REMOTE_ADDR=ATTACKER,
                         HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert answer.status_code == 429 and answer.json()["retry_after_minutes"] == settings.COSTDASH_LOGIN_COOLOFF_MINUTES


def test_a_password_reset_lifts_the_lockout(client, developer_user, mailoutbox):
    for i in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "ana", f"guess-{i}", ATTACKER)
    assert log_in(client, "ana", RIGHT, ATTACKER).status_code == 429
    client.post("/password-reset/", {"email": "ana@example.com"})
    link = re.search(r"(/password-reset/\S+/\S+/)", mailoutbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    new = "a-new-Passphrase-42"
    client.post(form_url, {"new_password1": new, "new_password2": new})
    assert log_in(client, "ana", new, ATTACKER).status_code == 302


