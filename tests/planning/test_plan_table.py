"""The seeded plan table (migration 0002) and the Django admin that keeps it for superusers, as pricing's admin
does (admins use the Plan prices page: tests/planning/test_plan_price_pages.py)."""
from datetime import date
from decimal import Decimal

from django.test import Client
import pytest

from costdash.planning.models import PlanPrice
from costdash.planning.prices import plan_prices, plan_table

pytestmark = pytest.mark.django_db


def test_the_seeds_published_figures_with_source_date_and_confidence():
    rows = {row.plan: row for row in plan_table()}
    assert list(rows) == ["pro", "max_5x", "max_20x", "team_premium", "enterprise"]
    assert [rows[p].monthly_price for p in ("pro", "max_5x", "max_20x")] == [Decimal("20"), Decimal("100"),
                                                                              Decimal("200")]
    for plan in ("pro", "max_5x", "max_20x"):
        assert rows[plan].source.startswith("../shared/seeds/002_781a12584735b80b.txt")
        assert (rows[plan].confidence, rows[plan].as_of, rows[plan].effective_from) == ("partial", date(2026, 12, 6),
                                                                                        None)
    # Named in the seeds with no price: no price here either, never $0.
    for plan in ("team_premium", "enterprise"):
        assert rows[plan].monthly_price is None and rows[plan].confidence == "unverified"
        assert "No published price" in rows[plan].note
    assert all(row.from_seed for row in rows.values())


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_seeded_rows_are_read_only_and_cannot_be_deleted(superuser):
    seed = PlanPrice.objects.get(plan="pro", from_seed=True)
    client = admin_client(superuser)
    page = client.get(f"/admin/planning/planprice/{seed.pk}/change/").content.decode()
    assert 'name="monthly_price"' not in page  # shown, not editable
    client.post(f"/admin/planning/planprice/{seed.pk}/change/", {"monthly_price": "1", "plan": "pro"})
    assert client.post(f"/admin/planning/planprice/{seed.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PlanPrice.objects.get(pk=seed.pk).monthly_price == Decimal("20")


def test_a_superuser_adds_a_dated_price_and_it_applies_from_its_month(superuser):
    client = admin_client(superuser)
    form = {"plan": "enterprise", "monthly_price": "60", "effective_from": "2026-10-01", "as_of": "2026-09-15",
            "source": "our contract", "confidence": "verified", "note": ""}
    response = client.post("/admin/planning/planprice/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert plan_prices(date(2026, 9, 1))["enterprise"].monthly_price is None
    assert plan_prices(date(2026, 10, 1))["enterprise"].monthly_price == Decimal("60")
    # A price is never $0 (leave it empty for "no published price"), and starts on a month's first day.
    refused = client.post("/admin/planning/planprice/add/", form | {"monthly_price": "0", "effective_from": "2026-11-15"})
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "never $0" in text and "first day" in text
    assert PlanPrice.objects.filter(plan="enterprise", from_seed=False).count() == 1
