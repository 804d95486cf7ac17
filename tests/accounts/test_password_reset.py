"""Password reset by e-mail: asked for from the login page, the link (on COSTDASH_BASE_URL) sets a new
password once, and the new one logs in; an unknown address gets the same page and no e-mail."""
import re

import pytest

pytestmark = pytest.mark.django_db
NEW = "a-new-Passphrase-42"


def ask(client, email: str):
    return client.post("/password-reset/", {"email": email}, follow=True)


def test_the_login_page_links_to_the_reset(client):
    assert 'href="/password-reset/">Forgot your password?</a>' in client.get("/login/").content.decode()


def test_reset_by_email_then_log_in_with_the_new_password(client, developer_user, mailoutbox, settings):
    settings.COSTDASH_BASE_URL = "https://costdash.example.com"
    page = ask(client, "ANA@example.com")  # addresses match case-blind
    assert page.redirect_chain == [("/password-reset/sent/", 302)] and "Check your e-mail" in page.content.decode()
    (mail,) = mailoutbox
    assert mail.to == ["ana@example.com"] and mail.subject == "costdash: reset your password"
    assert mail.from_email == settings.DEFAULT_FROM_EMAIL and "login ana" in mail.body
    link = re.search(r"https://costdash\.example\.com(/password-reset/\S+/\S+/)", mail.body).group(1)

    form = client.get(link, follow=True)
    assert form.redirect_chain[-1][0].endswith("/set-password/") and "Choose a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}, follow=True)
    assert done.redirect_chain == [("/password-reset/done/", 302)] and "Password changed" in done.content.decode()

    assert client.post("/login/", {"username": "ana", "password": "pw-for-tests-1"}).status_code == 200  # refused
    logged_in = client.post("/login/", {"username": "ana", "password": NEW})
    assert logged_in.status_code == 302 and logged_in["Location"] == "/"
    client.logout()
    assert "This link does not work" in client.get(link, follow=True).content.decode()  # once only


def test_an_unknown_address_gets_the_same_page_and_no_email(client, developer_user, mailoutbox):
    known, unknown = ask(client, "ana@example.com"), ask(client, "nobody@example.com")
    assert unknown.redirect_chain == known.redirect_chain == [("/password-reset/sent/", 302)]
    assert unknown.content == known.content
    assert [m.to for m in mailoutbox] == [["ana@example.com"]]


def test_mismatched_or_weak_passwords_are_refused(client, developer_user, mailoutbox):
    ask(client, "ana@example.com")
    link = re.search(r"(/password-reset/\S+/\S+/)", mailoutbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    assert "didn’t match" in client.post(form_url, {"new_password1": NEW, "new_password2": NEW + "x"}).content.decode()
    assert "too common" in client.post(form_url, {"new_password1": "password", "new_password2": "password"}).content.decode()
    developer_user.refresh_from_db()
    assert developer_user.check_password("pw-for-tests-1")
