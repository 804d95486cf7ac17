"""The Audit trail in Chromium: an admin changes a spend limit through its form, then finds the change on the
Audit trail page (from the nav), filters it by kind and change, and reads the before/after table. Accessible,
inside the Content-Security-Policy, nothing leaving the machine. Helpers are the dashboard browser test's."""
from __future__ import annotations

from django.contrib.auth import get_user_model
import pytest

from costdash.demo.services import demo_admin_ensure
from tests.e2e.test_dashboard_browser import (  # noqa: F401  fixtures
    PASSWORD,
    browser,
    nav_to,
    visit,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def admin_login(transactional_db) -> str:
    username, _ = demo_admin_ensure(PASSWORD)
    return username


def test_an_admin_finds_a_limit_change_with_its_before_and_after(admin_login, visit):  # noqa: F811  fixtures
    v = visit("audit", viewport={"width": 1366, "height": 900})
    v.login(admin_login, PASSWORD)
    v.goto("/limits/new/")
    v.page.check("input[name=scope][value=org]")
    v.page.fill("#id_amount", "500")
    with v.page.expect_navigation():
        v.page.locator("main form button[type=submit]").click()
    v.goto("/limits/")
    with v.page.expect_navigation():
        v.page.get_by_role("link", name="Edit").first.click()
    v.page.fill("#id_amount", "750")
    with v.page.expect_navigation():
        v.page.locator("main form button[type=submit]").click()

    nav_to(v, "Audit trail")
    assert v.page.locator("h1").inner_text() == "Audit trail"
    v.page.select_option("#id_kind", label="Spend limit")
    v.page.select_option("#id_event", label="changed")
    v.page.select_option("#id_actor", label=admin_login)
    with v.page.expect_navigation():
        v.page.get_by_role("button", name="Show").click()
    assert "kind=limits.SpendLimit" in v.page.url and "event=changed" in v.page.url
    assert "1 change, newest first." in v.page.locator("main").inner_text()
    diff = v.page.locator("table.diff tbody tr")
    assert diff.count() == 1
    assert diff.first.inner_text().split("\t") == ["amount", "500.00", "750.00"]
    v.screenshot("audit trail filtered")
    assert get_user_model().objects.get(username=admin_login).is_active
    v.assert_clean()
