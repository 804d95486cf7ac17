"""The Audit trail page and /api/v1/audit/: admins only, filtered by who, kind of object, change and org-local
days, paged, each entry's before and after shown as a table (page) or a list (API)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from auditlog.models import LogEntry
from django.test import Client
import pytest

from costdash.accounts.models import OrgSettings
from costdash.limits.models import SpendLimit
from tests.factories import UserFactory


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def history(admin_user, billing_user):
    """Two admins' changes: the admin makes a limit and changes it; a second admin changes an org setting.
    Timestamps are set to known instants (the org's time zone is UTC+1 in winter)."""
    org = OrgSettings.get()
    org.time_zone = "Europe/Berlin"
    org.save()
    other = UserFactory(username="root2", email="root2@example.com", is_superuser=True, is_staff=True)
    client = as_user(admin_user)
    client.post("/limits/new/", {"scope": "org", "amount": "500", "warning_share": "0.8"})
    limit = SpendLimit.objects.get()
    client.post(f"/limits/{limit.pk}/", {"scope": "org", "amount": "900", "warning_share": "0.8"})
    as_user(other).post("/rate-limits/limits/", {"itpm": "400000", "otpm": "", "rpm": "", "note": "Tier 4"})
    created, changed = LogEntry.objects.filter(object_repr="Org limit").order_by("pk")
    (rates,) = LogEntry.objects.filter(actor=other)
    # 2026-03-01 23:30 UTC is March 2 in Berlin; 2026-03-02 22:59 UTC is still March 2 there; 23:00 is March 3.
    for entry, at in ((created, datetime(2026, 3, 1, 23, 30, tzinfo=UTC)),
                      (changed, datetime(2026, 3, 2, 22, 59, tzinfo=UTC)),
                      (rates, datetime(2026, 3, 2, 23, 0, tzinfo=UTC))):
        LogEntry.objects.filter(pk=entry.pk).update(timestamp=at)
    return {"created": created, "changed": changed, "rates": rates, "other": other}


def test_the_page_shows_who_what_and_a_before_after_table(history, admin_user):
    page = as_user(admin_user).get("/audit/").content.decode()
    assert "3 changes, newest first." in page
    assert "<th scope=\"row\">amount</th><td class=\"wrap\">500.00</td><td class=\"wrap\">900.00</td>" in page
    assert "Spend limit: Org limit" in page and "root2" in page and "Org rate limit" in page
    # Times in the org's zone, as the day filters read them: 23:30 UTC on March 1 is 00:30 on March 2 in Berlin.
    assert "(Europe/Berlin)" in page and "2026-03-02 00:30:00" in page and "2026-03-03 00:00:00" in page
    # The newest first: the rate limits (March 3, Berlin), then the limit's change, then its creation (last).
    assert page.index("400000") < page.index("900.00") < page.rindex("<td>created</td>")


@pytest.mark.parametrize(("query", "expected"), [
    ("actor=admin", {"created", "changed"}),
    ("actor=root2", {"rates"}),
    ("kind=limits.SpendLimit", {"created", "changed"}),
    ("kind=ratelimits.OrgRateLimit", {"rates"}),
    ("event=changed", {"changed"}),
    ("event=created", {"created", "rates"}),
    ("since=2026-03-02&until=2026-03-02", {"created", "changed"}),  # org-local days (Berlin)
    ("since=2026-03-03", {"rates"}),
    ("until=2026-03-01", set()),
    ("actor=admin&kind=limits.SpendLimit&event=changed&since=2026-03-02&until=2026-03-02", {"changed"}),
])
def test_filters_on_the_page_and_in_the_api(history, admin_user, query, expected):
    ids = {history[name].pk: name for name in ("created", "changed", "rates")}
    client = as_user(admin_user)
    body = client.get(f"/api/v1/audit/?{query}").json()
    assert {ids[row["id"]] for row in body["results"]} == expected and body["count"] == len(expected)
    page = client.get(f"/audit/?{query}").content.decode()
    assert (f"{len(expected)} change" in page) if expected else "No changes match these filters." in page


def test_the_api_entry_carries_who_when_what_and_the_changes(history, admin_user):
    body = as_user(admin_user).get("/api/v1/audit/?event=changed").json()
    (row,) = body["results"]
    limit = SpendLimit.objects.get()
    assert row == {
        "id": history["changed"].pk, "timestamp": "2026-03-02T22:59:00Z", "actor": "admin",
        "actor_email": admin_user.email, "event": "changed", "kind": "limits.SpendLimit", "kind_name": "Spend limit",
        "object_id": str(limit.pk), "object": "Org limit",
        "changes": [{"field": "amount", "before": "500.00", "after": "900.00"}],
    }


def test_the_api_refuses_an_unknown_kind_or_a_range_backwards(history, admin_user):
    client = as_user(admin_user)
    response = client.get("/api/v1/audit/?kind=ingest.UsageEvent")
    assert response.status_code == 400 and "not a kind the audit trail follows" in response.json()["kind"][0]
    assert client.get("/api/v1/audit/?since=2026-03-05&until=2026-03-01").status_code == 400
    page = client.get("/audit/?since=2026-03-05&until=2026-03-01").content.decode()
    assert "The range starts after it ends." in page and "Showing every change." in page and "3 changes" in page
    page = client.get("/audit/?actor=nobody").content.decode()
    assert "Who: Select a valid choice." in page and "Showing every change." in page


def test_pages_of_fifty_newest_first_on_the_page_and_in_the_api(admin_user):
    client = as_user(admin_user)
    client.post("/limits/new/", {"scope": "org", "amount": "100", "warning_share": "0.8"})
    limit = SpendLimit.objects.get()
    for amount in range(101, 161):  # 60 changes + the creation: 61 entries
        client.post(f"/limits/{limit.pk}/", {"scope": "org", "amount": str(amount), "warning_share": "0.8"})
    assert LogEntry.objects.count() == 61
    first = client.get("/audit/").content.decode()
    assert "61 changes, newest first." in first and "Page 1 of 2" in first
    assert "<td class=\"wrap\">159.00</td><td class=\"wrap\">160.00</td>" in first
    second = client.get("/audit/?page=2").content.decode()
    assert "Page 2 of 2" in second and "<td>created</td>" in second and "160.00" not in second
    body = client.get("/api/v1/audit/?page=2&page_size=50").json()
    assert body["count"] == 61 and len(body["results"]) == 11 and body["results"][-1]["event"] == "created"


def test_only_admins_read_it(history, billing_user, developer_user):
    for user in (billing_user, developer_user):
        assert as_user(user).get("/audit/").status_code == 403
        assert as_user(user).get("/api/v1/audit/").status_code == 403
    assert Client().get("/api/v1/audit/").status_code == 401


def test_the_date_filter_reads_whole_org_days(history, admin_user):
    """The until day is included to its last instant in the org's time zone (not UTC's)."""
    client = as_user(admin_user)
    day = date(2026, 3, 2)
    rows = client.get(f"/api/v1/audit/?until={day}").json()["results"]
    assert {row["timestamp"] for row in rows} == {"2026-03-01T23:30:00Z", "2026-03-02T22:59:00Z"}
    rows = client.get(f"/api/v1/audit/?since={day + timedelta(days=1)}").json()["results"]
    assert [row["timestamp"] for row in rows] == ["2026-03-02T23:00:00Z"]
