"""The Plan prices page (costdash.planning.price_views): billing reads the dated table, admins add a row (it prices
the months from its first on) and delete rows they added; seeded rows stay read-only. Each change is in the audit
trail as the signed-in admin's."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
import pytest

from costdash.planning.models import PlanPrice
from costdash.planning.prices import plan_prices

pytestmark = pytest.mark.django_db

QUOTE = {"plan": "enterprise", "monthly_price": "60", "effective_from": "2026-10-01", "as_of": "2026-09-15",
         "source": "our contract", "confidence": "verified", "note": "three-year quote"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def plan_entries(**filters) -> list[LogEntry]:
    return list(LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(PlanPrice), **filters)
                .order_by("pk"))


def test_billing_reads_the_table_and_adds_nothing(billing_user):
    client = client_for(billing_user)
    page = client.get("/plans/prices/").content.decode()
    assert "Max 20x" in page and "$200.00" in page and "no published price" in page
    assert "Add the price" not in page and "/delete/" not in page
    assert client.post("/plans/prices/new/", QUOTE).status_code == 403
    assert not PlanPrice.objects.filter(from_seed=False).exists()
    # The Plans page points billing here, and admins too (no longer to the Django admin).
    assert 'href="/plans/prices/"' in client.get("/plans/").content.decode()


def test_developers_see_the_rows_in_force_on_plans_not_this_page(developer_user):
    client = client_for(developer_user)
    assert client.get("/plans/prices/").status_code == 403
    assert 'href="/plans/prices/"' not in client.get("/plans/").content.decode()


def test_an_admin_adds_a_dated_price_and_it_applies_from_its_month(admin_user):
    client = client_for(admin_user)
    assert 'href="/plans/prices/"' in client.get("/plans/").content.decode()
    assert "Add the price" in client.get("/plans/prices/").content.decode()
    response = client.post("/plans/prices/new/", QUOTE)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert plan_prices(date(2026, 9, 1))["enterprise"].monthly_price is None  # the seeded row: no price
    assert plan_prices(date(2026, 10, 1))["enterprise"].monthly_price == Decimal("60")
    added = PlanPrice.objects.get(from_seed=False)
    assert (added.plan, added.source, added.note) == ("enterprise", "our contract", "three-year quote")
    (entry,) = plan_entries(action=LogEntry.Action.CREATE)
    assert entry.actor == admin_user and entry.changes["monthly_price"] == [None, "60.00"]
    assert entry.changes["effective_from"] == [None, "2026-10-01"]


def test_a_bad_row_is_refused_with_the_reasons(admin_user):
    client = client_for(admin_user)
    refused = client.post("/plans/prices/new/", QUOTE | {"monthly_price": "0", "effective_from": "2026-11-15"})
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "never $0" in text and "first day" in text
    assert client.post("/plans/prices/new/", QUOTE).status_code == 302
    twice = client.post("/plans/prices/new/", QUOTE | {"monthly_price": "70"})  # the same plan and month again
    assert twice.status_code == 200 and "delete it first" in twice.content.decode()
    assert list(PlanPrice.objects.filter(from_seed=False).values_list("monthly_price", flat=True)) == [Decimal("60")]
    assert client.get("/plans/prices/new/").status_code == 302  # the form lives on the table's page


def test_an_admin_deletes_their_row_and_the_seeded_one_applies_again(admin_user):
    client = client_for(admin_user)
    client.post("/plans/prices/new/", QUOTE | {"plan": "pro", "monthly_price": "25", "effective_from": "2026-11-01"})
    added = PlanPrice.objects.get(from_seed=False)
    assert plan_prices(date(2026, 11, 1))["pro"].monthly_price == Decimal("25")
    assert f'href="/plans/prices/{added.pk}/delete/"' in client.get("/plans/prices/").content.decode()
    assert client.get(f"/plans/prices/{added.pk}/delete/").status_code == 200
    assert client.post(f"/plans/prices/{added.pk}/delete/").status_code == 302
    assert plan_prices(date(2026, 11, 1))["pro"].monthly_price == Decimal("20")  # the seed, $20
    (deleted,) = plan_entries(action=LogEntry.Action.DELETE)
    assert deleted.actor == admin_user


def test_seeded_rows_cannot_be_deleted(admin_user):
    seed = PlanPrice.objects.get(plan="pro", from_seed=True)
    client = client_for(admin_user)
    assert client.get(f"/plans/prices/{seed.pk}/delete/").status_code == 403
    assert client.post(f"/plans/prices/{seed.pk}/delete/").status_code == 403
    assert PlanPrice.objects.get(pk=seed.pk).monthly_price == Decimal("20")
    assert not plan_entries()
