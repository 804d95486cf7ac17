"""Members in Chromium: an admin invites a developer found in the usage data from People in one click, and another
login from the Members page as billing; the invitee opens the e-mailed link in their own browser, chooses a
password, signs in and lands with the chosen role and developer; the link then no longer works; the admin
deactivates the login and it cannot sign in. Every page accessible and inside the Content-Security-Policy.
Fixtures and helpers are the dashboard browser test's (the demo team's last two weeks, imported for real)."""
from __future__ import annotations

from decimal import Decimal
import re

from django.contrib.auth import get_user_model
import pytest

from costdash.dashboard.filters import org_today
from tests.e2e.test_dashboard_browser import (  # noqa: F401  fixtures
    PASSWORD,
    browser,
    nav_to,
    team,
    visit,
)
from tests.factories import DailyCostFactory, DeveloperFactory

pytestmark = pytest.mark.integration
CHOSEN = "invitee-Passphrase-77"


def invite_link(mail, base_url: str) -> str:
    return re.search(re.escape(base_url) + r"(/invite/\S+/\S+/)", mail.body).group(1)


def choose_password(v, link: str) -> None:
    v.goto(link)
    assert v.page.url.endswith("/set-password/")
    v.check_accessibility()
    v.page.fill("input[name=new_password1]", CHOSEN)
    v.page.fill("input[name=new_password2]", CHOSEN)
    with v.page.expect_navigation():
        v.page.get_by_role("button", name="Set my password").click()
    assert v.page.url.endswith("/login/") and "Your password is set" in v.page.content()


def test_invite_from_people_and_members_then_sign_in_with_the_role(team, visit, live_server, mailoutbox,  # noqa: F811
                                                                   settings):
    settings.COSTDASH_BASE_URL = live_server.url
    invited = DeveloperFactory(email="lee@invited.example", name="Lee")  # in the usage data, with no login (the demo's
    DailyCostFactory(developer=invited, day=org_today(), cost=Decimal("3.50"))  # developers all have one)

    admin = visit("members-admin", viewport={"width": 1366, "height": 900})
    admin.login(team, PASSWORD)
    nav_to(admin, "People")
    with admin.page.expect_navigation():
        admin.page.get_by_role("button", name=f"Invite {invited.email}").click()
    assert f"Invited {invited.email} as developer" in admin.page.content()
    admin.screenshot("people after a one-click invite")
    nav_to(admin, "Members")
    admin.page.fill("#invite-email", "finance@example.com")
    admin.page.select_option("#invite-role", value="billing")
    admin.page.select_option("#invite-developer", value="")
    with admin.page.expect_navigation():
        admin.page.get_by_role("button", name="Send invite").click()
    assert "Invited finance@example.com as billing" in admin.page.content()
    admin.screenshot("members with two invites")
    assert [m.to for m in mailoutbox] == [[invited.email], ["finance@example.com"]]

    dev = visit("members-invitee", viewport={"width": 1366, "height": 900})
    link = invite_link(mailoutbox[0], live_server.url)
    choose_password(dev, link)
    dev.login(invited.email, CHOSEN)
    assert dev.page.locator("nav[aria-label=Main] a", has_text="Today").count() == 1  # a developer lands on Today
    assert dev.page.locator("nav[aria-label=Main] a", has_text="Members").count() == 0
    nav_to(dev, "Send my usage")
    assert f"send usage as {invited.display_name}, and nothing else" in dev.page.locator("main").inner_text()
    dev.screenshot("the invitee's own push page")
    dev.goto(link)
    assert "This invite link does not work" in dev.page.content()

    billing = visit("members-billing", viewport={"width": 1366, "height": 900})
    choose_password(billing, invite_link(mailoutbox[1], live_server.url))
    billing.login("finance@example.com", CHOSEN)
    nav_to(billing, "Reports")

    user = get_user_model().objects.get(username=invited.email)
    admin.goto("/people/members/")
    row = admin.page.locator("tbody tr", has_text=invited.email)
    assert "active" in row.inner_text()
    with admin.page.expect_navigation():
        row.get_by_role("button", name="Deactivate").click()
    assert "deactivated" in admin.page.locator("tbody tr", has_text=invited.email).inner_text()
    admin.screenshot("members with a deactivated login")
    dev.goto("/login/")
    dev.page.fill("input[name=username]", invited.email)
    dev.page.fill("input[name=password]", CHOSEN)
    with dev.page.expect_navigation():
        dev.page.click("form button[type=submit]")
    assert dev.page.url.endswith("/login/") and not get_user_model().objects.get(pk=user.pk).is_active
    for v in (admin, dev, billing):
        v.assert_clean()
