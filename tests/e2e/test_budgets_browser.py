"""The Budgets page in Chromium: an admin adds a default weekly budget and a developer's monthly one
through the form, the table shows each with its spend and projection; the developer sees their own
budget on their home page and only theirs on the Budgets page. Accessible, inside the
Content-Security-Policy, nothing leaving the machine. Fixtures and helpers are the dashboard browser
test's (the demo team's last two weeks, imported for real)."""
from __future__ import annotations

from django.contrib.auth import get_user_model
import pytest

from costdash.accounts.models import Developer
from costdash.budgets.models import Budget
from tests.e2e.test_dashboard_browser import (  # noqa: F401  fixtures
    PASSWORD,
    browser,
    nav_to,
    team,
    visit,
)

pytestmark = pytest.mark.integration


def add_budget(v, scope: str, period: str, amount: str, developer: str | None = None) -> None:
    with v.page.expect_navigation():
        v.page.get_by_role("link", name="Add a budget").first.click()
    v.check_accessibility()
    v.page.check(f"input[name=scope][value={scope}]")
    if developer:
        v.page.select_option("#id_developer", label=developer)
    v.page.check(f"input[name=period][value={period}]")
    v.page.fill("#id_amount", amount)
    v.page.fill("#id_alert_shares", "50, 80, 100")
    with v.page.expect_navigation():
        v.page.get_by_role("button", name="Save").click()


def test_admins_add_budgets_and_a_developer_sees_their_own(team, visit):  # noqa: F811  the imported fixtures
    ana = Developer.objects.filter(daily_costs__isnull=False).order_by("name").first()
    ana.user = get_user_model().objects.create_user("ana-budget-e2e", password=PASSWORD)
    ana.save()
    v = visit("budgets", viewport={"width": 1366, "height": 900})
    v.login(team, PASSWORD)
    nav_to(v, "Budgets")
    assert v.page.locator("h1").inner_text() == "Budgets"
    assert v.page.locator("#no-budgets").count() == 1
    add_budget(v, "default", "week", "20")
    add_budget(v, "developer", "month", "150", developer=str(ana))
    assert Budget.objects.count() == 2
    rows = v.page.locator("#budgets tbody tr")
    developers = Developer.objects.count()
    assert rows.count() == 1 + developers  # Ana's monthly, and the weekly default for every developer
    assert v.page.locator("#budgets tbody th", has_text=f"{ana} (default)").count() == 1
    assert "Not enforced" in v.page.locator("#budgets").inner_text()
    assert "Off." in v.page.locator("#litellm").inner_text()
    v.screenshot("budgets admin")

    d = visit("budgets-developer", viewport={"width": 1366, "height": 900})
    d.login("ana-budget-e2e", PASSWORD)
    card = d.page.locator("#your-budget")
    assert card.count() == 1
    text = card.inner_text()
    assert "Monthly:" in text and "of $150.00" in text and "Weekly (the default):" in text and "of $20.00" in text
    d.screenshot("budget on the developer's home")
    nav_to(d, "Budgets")
    assert d.page.locator("#budgets tbody tr").count() == 2  # their monthly budget and the default as it applies
    assert d.page.get_by_role("link", name="Add a budget").count() == 0
    d.screenshot("budgets developer")
    v.assert_clean()
    d.assert_clean()
