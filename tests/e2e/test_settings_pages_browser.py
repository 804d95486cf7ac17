"""The admin's own pages for org settings, model prices and plan prices in Chromium: an admin (the admin role,
not a superuser) finds them in the nav (and no link to the Django admin), a bad time zone is refused on the page,
a price and a plan price are added through the forms; each page accessible, inside the Content-Security-Policy,
nothing leaving the machine. Fixtures and helpers are the dashboard browser test's."""
from __future__ import annotations

from decimal import Decimal
import importlib

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
import pytest

from costdash.accounts.models import OrgSettings
from costdash.planning.models import PlanPrice
from costdash.pricing.models import ModelPrice
from costdash.pricing.services import pricing_sync_rate_file
from tests.e2e.test_dashboard_browser import (  # noqa: F401  fixtures
    PASSWORD,
    browser,
    nav_to,
    visit,
)

pytestmark = pytest.mark.integration
SEED = importlib.import_module("costdash.planning.migrations.0002_seed_published_plan_prices")


@pytest.fixture
def org_admin(transactional_db) -> str:
    """A transactional test empties every table: the rate file's rows and the plan seeds again, as migrate does,
    and a login in the admin group."""
    pricing_sync_rate_file()
    SEED.seed(apps, None)
    user = get_user_model().objects.create_user("ops", email="ops@example.com", password=PASSWORD)
    user.groups.add(Group.objects.get_or_create(name="admin")[0])
    return user.username


def save(v) -> None:
    with v.page.expect_navigation():
        v.page.locator("main form button[type=submit]").last.click()


def test_an_admin_keeps_settings_and_prices_on_costdashs_own_pages(org_admin, visit):  # noqa: F811
    v = visit("settings-pages", viewport={"width": 1366, "height": 900})
    v.login(org_admin, PASSWORD)
    nav = v.page.locator("nav[aria-label=Main] .nav")
    assert nav.get_by_role("link", name="Admin", exact=True).count() == 0  # the Django admin: superusers only

    nav_to(v, "Settings")
    v.check_accessibility()
    v.page.fill("#id_time_zone", "Mars/Olympus_Mons")
    save(v)
    assert "is not a known time zone" in v.page.locator(".field-error").inner_text()
    v.check_accessibility()
    v.page.fill("#id_name", "Acme")
    v.page.fill("#id_time_zone", "Europe/Berlin")
    v.page.fill("#id_daily_ceiling", "32")
    save(v)
    assert "The org settings are saved." in v.page.locator(".messages").inner_text()
    org = OrgSettings.get()
    assert (org.name, org.time_zone, org.daily_ceiling) == ("Acme", "Europe/Berlin", Decimal("32.00"))
    v.screenshot("org settings")

    nav_to(v, "Prices")
    v.check_accessibility()
    assert v.page.locator("#prices tbody tr").count() == ModelPrice.objects.count()
    with v.page.expect_navigation():
        v.page.get_by_role("link", name="Add a price").click()
    v.check_accessibility()
    for field, value in (("model", "claude-browser-1"), ("input", "2"), ("cache_write_5m", "2.5"),
                         ("cache_write_1h", "4"), ("cache_read", "0.2"), ("output", "10")):
        v.page.fill(f"#id_{field}", value)
    save(v)
    row = ModelPrice.objects.get(model="claude-browser-1")
    assert (row.input, row.output, row.from_rate_file) == (Decimal("2"), Decimal("10"), False)
    assert "claude-browser-1" in v.page.locator(f"#prices tr[data-price='{row.pk}']").inner_text()
    v.screenshot("prices")

    v.goto("/plans/prices/")
    v.check_accessibility()
    v.page.select_option("#id_plan", value="enterprise")
    v.page.fill("#id_monthly_price", "60")
    v.page.fill("#id_effective_from", "2026-10-01")
    v.page.fill("#id_as_of", "2026-09-15")
    v.page.fill("#id_source", "our contract")
    v.page.select_option("#id_confidence", value="verified")
    save(v)
    added = PlanPrice.objects.get(from_seed=False)
    assert (added.plan, added.monthly_price) == ("enterprise", Decimal("60"))
    assert "$60.00" in v.page.locator(f"#plan-prices tr[data-plan-price='{added.pk}']").inner_text()
    v.screenshot("plan prices")
    v.assert_clean()
