"""Who a sign-in through the provider becomes: only a verified e-mail is linked; the login is created on first
sign-in and linked to the developer with that e-mail; superusers and deactivated logins are refused."""
from django.contrib.auth import get_user_model
import pytest

from costdash.accounts.models import Developer
from costdash.accounts.roles import DEVELOPER, role_of
from costdash.sso.models import SsoAccount
from costdash.sso.services import SsoRefused, email_verified, sso_sign_in
from tests.factories import DeveloperFactory, UserFactory

ISSUER = "https://idp.example.com"
User = get_user_model()


def claims(email="ana@example.com", verified=True, sub="ana-sub", **extra):
    return {"sub": sub, "email": email, "email_verified": verified, **extra}


@pytest.mark.parametrize("value, verified", [
    (True, True), ("true", True), ("True", True),
    (False, False), ("false", False), (None, False), (1, False), ("yes", False),
])
def test_email_verified_means_true(value, verified):
    assert email_verified({"email_verified": value}) is verified
    assert email_verified({}) is False  # missing: not verified


@pytest.mark.parametrize("verified", [False, None, "false"])
def test_an_unverified_email_is_refused_and_nothing_is_created(db, verified):
    ana = DeveloperFactory(email="ana@example.com")
    with pytest.raises(SsoRefused, match="has not verified ana@example.com"):
        sso_sign_in(claims(verified=verified), issuer=ISSUER)
    assert not User.objects.exists() and not SsoAccount.objects.exists()
    ana.refresh_from_db()
    assert ana.user is None


def test_no_email_is_refused(db):
    with pytest.raises(SsoRefused, match="no valid e-mail"):
        sso_sign_in({"sub": "x", "email_verified": True}, issuer=ISSUER)


def test_first_sign_in_creates_the_login_and_links_the_developer_with_that_email(db):
    ana = DeveloperFactory(email="ana@example.com", name="Ana")
    user = sso_sign_in(claims(email="Ana@Example.COM", given_name="Ana", family_name="Lima"), issuer=ISSUER)
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "ana@example.com", "ana@example.com", "Ana", "Lima")
    assert not user.has_usable_password()  # signs in through the provider only
    ana.refresh_from_db()
    assert ana.user == user and role_of(user) == DEVELOPER
    assert Developer.objects.count() == 1


def test_a_new_email_gets_a_new_developer(db):
    user = sso_sign_in(claims(email="new@example.com", name="New Person"), issuer=ISSUER)
    developer = Developer.objects.get(email="new@example.com")
    assert developer.user == user and developer.name == "New Person"


def test_the_login_already_linked_to_the_developer_is_the_one_signed_in(db):
    login = UserFactory(username="ana", email="")  # linked by an admin, no e-mail on the login
    DeveloperFactory(email="ana@example.com", user=login)
    assert sso_sign_in(claims(), issuer=ISSUER) == login
    assert User.objects.count() == 1


def test_a_login_with_the_same_email_is_reused_and_linked(db):
    login = UserFactory(username="ana", email="ANA@example.com")
    ana = DeveloperFactory(email="ana@example.com")
    assert sso_sign_in(claims(), issuer=ISSUER) == login
    ana.refresh_from_db()
    assert ana.user == login


def test_the_provider_subject_finds_the_login_after_its_email_changed(db):
    first = sso_sign_in(claims(email="ana@example.com"), issuer=ISSUER)
    again = sso_sign_in(claims(email="ana.lima@example.com"), issuer=ISSUER)
    assert again == first and User.objects.count() == 1
    assert Developer.objects.get(user=first).email == "ana@example.com"  # keeps its developer
    assert SsoAccount.objects.get(user=first).email == "ana.lima@example.com"


def test_a_superuser_never_signs_in_through_the_provider(db):
    root = UserFactory(username="root", email="root@example.com", is_superuser=True)
    with pytest.raises(SsoRefused, match="superuser"):
        sso_sign_in(claims(email="root@example.com"), issuer=ISSUER)
    assert not SsoAccount.objects.filter(user=root).exists()


def test_a_deactivated_login_is_refused(db):
    UserFactory(username="ana", email="ana@example.com", is_active=False)
    with pytest.raises(SsoRefused, match="deactivated"):
        sso_sign_in(claims(), issuer=ISSUER)


def test_two_logins_with_the_email_are_refused_rather_than_guessed(db):
    UserFactory(username="ana1", email="ana@example.com")
    UserFactory(username="ana2", email="Ana@example.com")
    with pytest.raises(SsoRefused, match="Several logins"):
        sso_sign_in(claims(), issuer=ISSUER)


def test_a_taken_username_gets_a_suffix(db):
    UserFactory(username="ana@example.com", email="someone-else@example.com")
    user = sso_sign_in(claims(), issuer=ISSUER)
    assert user.username.startswith("ana@example.com-") and user.email == "ana@example.com"
