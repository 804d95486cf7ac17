"""The Members page: invite by e-mail (a link that sets the password once, within COSTDASH_INVITE_DAYS), the role
from a list, the login linked to a developer, deactivate and reactivate; the role groups exist from a migration;
People invites a developer without a login in one click; "Send my usage" tells an unlinked login what to do."""
from datetime import timedelta
from decimal import Decimal
import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
import pytest
from rest_framework.test import APIClient

from costdash.accounts import members
from costdash.accounts.models import Developer
from costdash.api.services import api_token_create
from costdash.dashboard.filters import org_today
from tests.factories import DailyCostFactory, DeveloperFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-fresh-Passphrase-42"
User = get_user_model()


@pytest.fixture
def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def invite(admin_client, email: str, role: str, developer: str = members.NEW_DEVELOPER):
    return admin_client.post("/people/members/invite/", {"email": email, "role": role, "developer": developer},
                             follow=True)


def link_in(mail, base: str = "http://localhost:8000") -> str:
    return re.search(re.escape(base) + r"(/invite/\S+/\S+/)", mail.body).group(1)


def set_password(link: str) -> Client:
    """Open the link as the invitee (a new browser), choose PASSWORD; the client, on the login page."""
    invitee = Client()
    form = invitee.get(link, follow=True)
    form_url = form.redirect_chain[-1][0]
    assert form_url.endswith("/set-password/") and "Choose the password of your login" in form.content.decode()
    done = invitee.post(form_url, {"new_password1": PASSWORD, "new_password2": PASSWORD}, follow=True)
    assert done.redirect_chain == [("/login/", 302)] and "Your password is set" in done.content.decode()
    return invitee


def test_the_role_groups_exist_from_the_migrations():
    assert set(Group.objects.values_list("name", flat=True)) >= {"admin", "billing"}


def test_invite_set_password_sign_in_as_a_developer_linked_to_their_usage(admin_client, mailoutbox, settings):
    settings.COSTDASH_BASE_URL = "https://costdash.example.com"
    cy = DeveloperFactory(email="cy@example.com", name="Cy")
    DailyCostFactory(developer=cy, day=org_today() - timedelta(days=1), cost=Decimal("4.00"))
    DailyCostFactory(developer=DeveloperFactory(email="dan@example.com", name="Dan"),
                     day=org_today() - timedelta(days=1), cost=Decimal("9.00"))
    page = invite(admin_client, "Cy.Work@Example.com", "developer", developer=str(cy.pk))
    assert "Invited cy.work@example.com as developer" in page.content.decode()
    (mail,) = mailoutbox
    assert mail.to == ["cy.work@example.com"] and mail.subject == "costdash: you are invited"
    assert "Your login: cy.work@example.com" in mail.body and "for 7 days" in mail.body
    link = link_in(mail, "https://costdash.example.com")

    invitee = set_password(link)
    signed_in = invitee.post("/login/", {"username": "cy.work@example.com", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/"
    # The chosen role and developer: Cy's usage and no one else's; no admin or billing page.
    assert [row["developer"] for row in invitee.get("/api/v1/developers/").json()["results"]] == ["Cy"]
    assert invitee.get("/people/members/").status_code == 403 and invitee.get("/reports/").status_code == 403
    user = User.objects.get(username="cy.work@example.com")
    assert Developer.objects.get(pk=cy.pk).user == user and user.last_login is not None

    invitee.logout()
    again = Client().get(link, follow=True)
    assert "This invite link does not work" in again.content.decode()  # once only
    listed = admin_client.get("/people/members/").content.decode()
    assert "cy.work@example.com" in listed and f"{timezone.localtime(user.last_login):%Y-%m-%d %H:%M}" in listed


def test_invite_as_billing_with_a_new_developer_of_that_email(admin_client, mailoutbox):
    invite(admin_client, "finance@example.com", "billing")
    set_password(link_in(mailoutbox[0]))
    client = Client()
    assert client.post("/login/", {"username": "finance@example.com", "password": PASSWORD}).status_code == 302
    assert client.get("/reports/").status_code == 200 and client.get("/people/members/").status_code == 403
    user = User.objects.get(username="finance@example.com")
    assert list(user.groups.values_list("name", flat=True)) == ["billing"]
    assert Developer.objects.get(email="finance@example.com").user == user


def test_a_link_sent_again_replaces_the_first_and_links_expire(admin_client, mailoutbox, settings):
    invite(admin_client, "eve@example.com", "developer", developer="")
    first = link_in(mailoutbox[0])
    user = User.objects.get(username="eve@example.com")
    resent = admin_client.post(f"/people/members/{user.pk}/resend/", follow=True)
    assert "no longer work" in resent.content.decode() and len(mailoutbox) == 2
    assert "This invite link does not work" in Client().get(first, follow=True).content.decode()
    user.refresh_from_db()
    now = members.invite_tokens._num_seconds(members.invite_tokens._now())
    settings.COSTDASH_INVITE_DAYS = 7
    made = [members.invite_tokens._make_token_with_timestamp(user, now - days * 86400, members.invite_tokens.secret)
            for days in (6, 8)]
    assert [members.invite_tokens.check_token(user, token) for token in made] == [True, False]
    # A password-reset token is no invite, nor the reverse.
    from django.contrib.auth.tokens import default_token_generator
    assert not members.invite_tokens.check_token(user, default_token_generator.make_token(user))
    set_password(link_in(mailoutbox[1]))


def test_invites_refuse_a_taken_address_a_bad_role_and_a_linked_developer(admin_client, developer_user, mailoutbox):
    assert "has a login already" in invite(admin_client, "ANA@example.com", "developer").content.decode()
    assert "is not a role" in invite(admin_client, "new@example.com", "owner").content.decode()
    ana = Developer.objects.get(user=developer_user)
    taken = invite(admin_client, "other@example.com", "developer", developer=str(ana.pk)).content.decode()
    assert "is linked to the login ana" in taken
    assert not mailoutbox and not User.objects.filter(username__in=["new@example.com", "other@example.com"]).exists()


def test_an_invite_whose_email_fails_keeps_the_login_and_says_so(admin_client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 3  # nothing listens there
    page = invite(admin_client, "gil@example.com", "developer").content.decode()
    assert "The login exists, but the invite e-mail to gil@example.com could not be sent" in page
    assert User.objects.filter(username="gil@example.com", is_active=True).exists()


def test_roles_change_from_the_list(admin_client, developer_user):
    user_id = developer_user.pk
    for role, groups in (("billing", ["billing"]), ("admin", ["admin"]), ("developer", [])):
        page = admin_client.post(f"/people/members/{user_id}/role/", {"role": role}, follow=True)
        assert f"ana is now {role}." in page.content.decode()
        assert list(User.objects.get(pk=user_id).groups.values_list("name", flat=True)) == groups


def test_an_admin_keeps_their_own_admin_role_and_login_and_superusers_are_left_alone(admin_client, admin_user):
    refused = admin_client.post(f"/people/members/{admin_user.pk}/role/", {"role": "billing"}, follow=True)
    assert "cannot take away your own admin role" in refused.content.decode()
    refused = admin_client.post(f"/people/members/{admin_user.pk}/deactivate/", follow=True)
    assert "cannot deactivate your own login" in refused.content.decode()
    root = UserFactory(username="root", is_superuser=True)
    refused = admin_client.post(f"/people/members/{root.pk}/deactivate/", follow=True)
    assert "is a superuser" in refused.content.decode()
    assert User.objects.filter(pk__in=[admin_user.pk, root.pk], is_active=True).count() == 2
    assert list(admin_user.groups.values_list("name", flat=True)) == ["admin"]


def test_link_a_login_to_a_developer_new_existing_or_none(admin_client, billing_user, developer_user):
    url = f"/people/members/{billing_user.pk}/developer/"
    page = admin_client.post(url, {"developer": members.NEW_DEVELOPER}, follow=True).content.decode()
    created = Developer.objects.get(email="billing@example.com")
    assert created.user == billing_user and "billing is linked to" in page
    other = DeveloperFactory(email="fay@example.com", name="Fay")
    admin_client.post(url, {"developer": str(other.pk)})
    assert [d.email for d in Developer.objects.filter(user=billing_user)] == ["fay@example.com"]
    ana = Developer.objects.get(user=developer_user)
    refused = admin_client.post(url, {"developer": str(ana.pk)}, follow=True).content.decode()
    assert "is linked to the login ana" in refused and Developer.objects.get(pk=ana.pk).user == developer_user
    admin_client.post(url, {"developer": ""})
    assert not Developer.objects.filter(user=billing_user).exists()


def test_deactivated_logins_cannot_sign_in_or_use_tokens_until_reactivated(admin_client, developer_user):
    session = Client()
    assert session.post("/login/", {"username": "ana", "password": "pw-for-tests-1"}).status_code == 302
    _, secret = api_token_create(user=developer_user, name="script")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/developers/").status_code == 200

    page = admin_client.post(f"/people/members/{developer_user.pk}/deactivate/", follow=True).content.decode()
    assert "ana is deactivated" in page and "deactivated</span>" in page
    assert session.get("/")["Location"] == "/login/?next=/"  # the open session ends at its next request
    assert Client().post("/login/", {"username": "ana", "password": "pw-for-tests-1"}).status_code == 200
    refused = api.get("/api/v1/developers/")
    assert refused.status_code == 401 and "inactive" in refused.json()["detail"]

    admin_client.post(f"/people/members/{developer_user.pk}/reactivate/")
    assert Client().post("/login/", {"username": "ana", "password": "pw-for-tests-1"}).status_code == 302
    assert api.get("/api/v1/developers/").status_code == 200


def test_people_invites_a_developer_without_a_login_in_one_click(admin_client, developer_user, mailoutbox):
    gus = DeveloperFactory(email="gus@example.com", name="Gus")
    DailyCostFactory(developer=gus, day=org_today(), cost=Decimal("2.00"))
    DailyCostFactory(developer=Developer.objects.get(user=developer_user), day=org_today(), cost=Decimal("1.00"))
    DeveloperFactory(email="idle@example.com", name="Idle")  # no usage: not offered
    page = admin_client.get("/people/unassigned/").content.decode()
    assert 'aria-label="Invite gus@example.com"' in page
    assert "Invite idle@example.com" not in page and "Invite ana@example.com" not in page
    form = re.search(r'<form method="post" action="/people/members/invite/">(.*?)</form>', page, re.S).group(1)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    assert fields == {"csrfmiddlewaretoken": fields["csrfmiddlewaretoken"], "email": "gus@example.com",
                      "developer": str(gus.pk), "role": "developer", "next": "/people/unassigned/"}
    clicked = admin_client.post("/people/members/invite/", fields, follow=True)
    assert clicked.redirect_chain == [("/people/unassigned/", 302)]
    assert "Invited gus@example.com as developer" in clicked.content.decode()
    assert Developer.objects.get(pk=gus.pk).user.username == "gus@example.com"
    assert [m.to for m in mailoutbox] == [["gus@example.com"]]
    assert "Invite gus@example.com" not in clicked.content.decode()


def test_send_my_usage_tells_an_unlinked_login_who_links_it_where(client, admin_user, outsider_user):
    client.force_login(outsider_user)
    page = client.get("/imports/push/").content.decode()
    assert "Ask an admin to link it on the Members page" in page
    client.force_login(admin_user)
    page = client.get("/imports/push/").content.decode()
    assert 'Link it yourself on the <a href="/people/members/">Members</a> page' in page


def test_members_lists_role_developer_last_sign_in_and_state(admin_client, developer_user, billing_user):
    developer_user.last_login = timezone.now() - timedelta(days=2)
    developer_user.save()
    billing_user.is_active = False
    billing_user.save()
    html = admin_client.get("/people/members/").content.decode()
    ana_row = re.search(r"<th scope=\"row\">ana.*?</tr>", html, re.S).group(0)
    ana = Developer.objects.get(user=developer_user)
    assert '<option value="developer" selected>' in ana_row
    assert f'<option value="{ana.pk}" selected>ana@example.com</option>' in ana_row
    assert f"{timezone.localtime(developer_user.last_login):%Y-%m-%d %H:%M}" in ana_row and "status--ok" in ana_row
    billing_row = re.search(r"<th scope=\"row\">billing.*?</tr>", html, re.S).group(0)
    assert '<option value="billing" selected>' in billing_row and "Reactivate" in billing_row
