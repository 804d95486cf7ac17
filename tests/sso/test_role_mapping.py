"""The groups claim -> role mapping: highest role wins, unmapped is developer, worked out anew at each sign-in;
and the admins' page that edits it."""
from django.contrib.auth.models import Group
import pytest

from costdash.accounts.roles import ADMIN, BILLING, DEVELOPER, role_of
from costdash.sso.models import GroupRoleMapping, SsoAccount
from costdash.sso.services import groups_of, role_for_groups, sso_sign_in

ISSUER = "https://idp.example.com"


def claims(groups, sub="ana-sub", email="ana@example.com"):
    return {"sub": sub, "email": email, "email_verified": True, "groups": groups}


@pytest.fixture
def mappings(db):
    GroupRoleMapping.objects.create(claim_value="engineering", role=DEVELOPER)
    GroupRoleMapping.objects.create(claim_value="finance", role=BILLING)
    GroupRoleMapping.objects.create(claim_value="costdash-admins", role=ADMIN)


@pytest.mark.parametrize("groups, role", [
    ([], DEVELOPER),  # no group: the default
    (["sales"], DEVELOPER),  # a group nobody mapped
    (["engineering"], DEVELOPER),
    (["engineering", "finance"], BILLING),  # the higher of developer and billing
    (["finance", "costdash-admins", "engineering"], ADMIN),  # admin above both, whatever the order
    (["Finance", "COSTDASH-ADMINS"], DEVELOPER),  # values match exactly
])
def test_the_highest_mapped_role_wins_and_unmapped_is_developer(mappings, groups, role):
    assert role_for_groups(groups) == role


@pytest.mark.parametrize("raw, expected", [
    (["a", "b"], ["a", "b"]),
    ("finance", ["finance"]),  # one group sent as a string
    (None, []),
    ({"finance": True}, []),  # not a list: no groups rather than a guess
    (["a", 7, None, True, {"x": 1}], ["a", "7"]),
])
def test_groups_claim_shapes(settings, raw, expected):
    settings.COSTDASH_OIDC_GROUPS_CLAIM = "groups"
    assert groups_of({"groups": raw}) == expected


def test_the_groups_claim_name_is_a_setting(settings, mappings):
    settings.COSTDASH_OIDC_GROUPS_CLAIM = "roles"
    assert groups_of({"groups": ["finance"], "roles": ["costdash-admins"]}) == ["costdash-admins"]
    user = sso_sign_in({**claims([]), "roles": ["finance"]}, issuer=ISSUER)
    assert role_of(user) == BILLING


def test_the_role_is_set_again_at_every_sign_in_and_other_groups_are_kept(mappings):
    user = sso_sign_in(claims(["finance"]), issuer=ISSUER)
    assert role_of(user) == BILLING
    user.groups.add(Group.objects.create(name="beta-testers"))  # not a role group: left alone

    user = sso_sign_in(claims(["costdash-admins"]), issuer=ISSUER)
    assert role_of(user) == ADMIN
    assert set(user.groups.values_list("name", flat=True)) == {"admin", "beta-testers"}

    user = sso_sign_in(claims(["engineering"]), issuer=ISSUER)
    assert role_of(user) == DEVELOPER
    assert set(user.groups.values_list("name", flat=True)) == {"beta-testers"}
    account = SsoAccount.objects.get(user=user)
    assert (account.groups, account.role) == (["engineering"], DEVELOPER)


def test_a_role_given_by_hand_is_replaced_by_the_mapping_at_sign_in(mappings):
    """The provider's groups are the source of truth for an SSO login's role."""
    user = sso_sign_in(claims(["engineering"]), issuer=ISSUER)
    user.groups.add(Group.objects.get_or_create(name="admin")[0])
    user = sso_sign_in(claims(["engineering"]), issuer=ISSUER)
    assert role_of(user) == DEVELOPER


def test_admins_add_change_and_remove_mappings_on_the_page(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/sso/roles/", {"claim_value": " finance ", "role": BILLING})
    assert response.status_code == 302
    mapping = GroupRoleMapping.objects.get()
    assert (mapping.claim_value, mapping.role) == ("finance", BILLING)

    again = client.post("/sso/roles/", {"claim_value": "finance", "role": ADMIN})
    assert again.status_code == 200 and "already exists" in again.content.decode()  # one role per group

    page = client.get("/sso/roles/").content.decode()
    assert "<code>finance</code>" in page

    assert client.post(f"/sso/roles/{mapping.pk}/", {"role": ADMIN}).status_code == 302
    assert GroupRoleMapping.objects.get().role == ADMIN
    client.post(f"/sso/roles/{mapping.pk}/", {"role": "owner"})  # not a role: refused, unchanged
    assert GroupRoleMapping.objects.get().role == ADMIN

    assert client.post(f"/sso/roles/{mapping.pk}/delete/").status_code == 302
    assert not GroupRoleMapping.objects.exists()
