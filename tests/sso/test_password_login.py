"""Password login off (COSTDASH_PASSWORD_LOGIN=false): only the break-glass superusers named in
COSTDASH_BREAK_GLASS_USERNAMES sign in with a password, on the login page and in any authenticate() call."""
from django.contrib.auth import authenticate
from django.test import RequestFactory
import pytest

from tests.factories import UserFactory

PASSWORD = "pw-for-tests-1"  # UserFactory's


@pytest.fixture
def sso_only(settings):
    settings.COSTDASH_SSO_ENABLED = True
    settings.COSTDASH_OIDC_ISSUER = "https://idp.example.com"
    settings.COSTDASH_OIDC_NAME = "Okta"
    settings.COSTDASH_PASSWORD_LOGIN = False
    settings.COSTDASH_BREAK_GLASS_USERNAMES = ["root"]


def log_in(client, username):
    return client.post("/login/", {"username": username, "password": PASSWORD})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_with_password_login_on_everyone_uses_their_password(client, db, settings):
    settings.COSTDASH_PASSWORD_LOGIN = True
    UserFactory(username="ana")
    assert log_in(client, "ana").status_code == 302 and signed_in(client)


def test_off_a_regular_login_is_told_to_use_sso_and_not_signed_in(client, db, sso_only):
    UserFactory(username="ana")
    response = log_in(client, "ana")
    assert response.status_code == 200 and not signed_in(client)
    assert "Password sign-in is turned off: use “Sign in with Okta”." in response.content.decode()


def test_off_the_break_glass_superuser_signs_in_with_a_password(client, db, sso_only):
    UserFactory(username="root", is_superuser=True, is_staff=True)
    assert log_in(client, "root").status_code == 302 and signed_in(client)


def test_off_a_superuser_not_named_break_glass_is_refused(client, db, sso_only):
    UserFactory(username="other-root", is_superuser=True, is_staff=True)
    assert log_in(client, "other-root").status_code == 200 and not signed_in(client)


def test_off_a_named_login_that_is_not_a_superuser_is_refused(client, db, sso_only):
    UserFactory(username="root", is_superuser=False)
    assert log_in(client, "root").status_code == 200 and not signed_in(client)


def test_off_authenticate_refuses_every_other_password_too(db, sso_only):
    """The Django admin's login and any other caller go through the same backend."""
    request = RequestFactory().post("/admin/login/")
    UserFactory(username="ana")
    UserFactory(username="root", is_superuser=True)
    assert authenticate(request, username="ana", password=PASSWORD) is None
    assert authenticate(request, username="root", password=PASSWORD).username == "root"


def test_the_admin_login_is_closed_to_non_break_glass_passwords(client, db, sso_only):
    UserFactory(username="boss", is_superuser=True, is_staff=True)
    client.post("/admin/login/", {"username": "boss", "password": PASSWORD})
    assert not signed_in(client)


def test_the_login_page_shows_the_sso_button_and_keeps_passwords_for_break_glass(client, db, sso_only):
    page = client.get("/login/?next=/reports/").content.decode()
    assert 'href="/sso/login/?next=/reports/"' in page and "Sign in with Okta" in page
    assert "Break-glass sign-in" in page and "Forgot your password?" not in page


def test_the_login_page_without_sso_has_no_button(client, db, settings):
    settings.COSTDASH_SSO_ENABLED = False
    page = client.get("/login/").content.decode()
    assert "Sign in with" not in page and "Break-glass" not in page and "Forgot your password?" in page
