"""The Org settings page (costdash.accounts.org_settings): admins only. Saving is validated (an unknown time zone
and a figure of $0 or less are refused), recorded in the audit trail as the admin's, and a new time zone
recomputes every developer-day in it, as the Django admin did."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
import pytest

from costdash.accounts.models import Developer, OrgSettings
from costdash.ingest.services import usage_import
from costdash.rollups.models import DailyCost
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.ingest.transcripts import assistant_line, write_jsonl

pytestmark = pytest.mark.django_db

FORM = {"name": "Acme", "time_zone": "UTC", "average_daily_cost": "13.00", "daily_ceiling": "30.00"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def org_entries(**filters) -> list[LogEntry]:
    return list(LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(OrgSettings), **filters)
                .order_by("pk"))


def test_only_admins_open_or_change_the_settings(billing_user, developer_user, admin_user):
    for user in (billing_user, developer_user):
        client = client_for(user)
        assert client.get("/settings/").status_code == 403
        assert client.post("/settings/", FORM | {"name": "Hijacked"}).status_code == 403
        assert 'href="/settings/"' not in client.get("/").content.decode()
    assert OrgSettings.get().name != "Hijacked"
    page = client_for(admin_user).get("/settings/").content.decode()
    assert 'href="/settings/"' in page and 'name="time_zone"' in page and "Europe/Berlin" in page  # the list


def test_saved_with_the_figures_and_recorded_as_the_admins_change(admin_user):
    org = OrgSettings.get()
    before = (org.name, org.average_daily_cost, org.daily_ceiling)
    response = client_for(admin_user).post("/settings/", FORM | {"average_daily_cost": "14.50",
                                                                  "daily_ceiling": "32"})
    assert response.status_code == 302 and response["Location"] == "/settings/"
    org = OrgSettings.get()
    assert (org.name, org.average_daily_cost, org.daily_ceiling) == ("Acme", Decimal("14.50"), Decimal("32.00"))
    (entry,) = org_entries(action=LogEntry.Action.UPDATE)
    assert entry.actor == admin_user
    assert entry.changes == {"name": [before[0], "Acme"], "average_daily_cost": [str(before[1]), "14.50"],
                             "daily_ceiling": [str(before[2]), "32.00"]}


@pytest.mark.parametrize("field, value, message", [
    ("time_zone", "Mars/Olympus_Mons", "is not a known time zone"),
    ("time_zone", "", "This field is required"),
    ("average_daily_cost", "0", "more than $0"),
    ("daily_ceiling", "-5", "more than $0"),
])
def test_a_bad_value_is_refused_and_nothing_changes(admin_user, field, value, message):
    before = OrgSettings.get()
    response = client_for(admin_user).post("/settings/", FORM | {field: value})
    assert response.status_code == 200 and message in response.content.decode()
    after = OrgSettings.get()
    assert (after.name, after.time_zone, after.daily_ceiling) == (before.name, before.time_zone, before.daily_ceiling)
    assert not org_entries()


def test_a_new_time_zone_recomputes_every_day_in_it(admin_user, tmp_path, django_capture_on_commit_callbacks):
    """A request at 02:00 UTC on March 6 is on March 5 in New York (UTC-5 then)."""
    Developer.objects.create(email="ana@example.com", name="Ana")
    lines = [assistant_line(msg="m1", req="r1", ts="2026-03-06T02:00:00Z")]
    assert usage_import([write_jsonl(tmp_path / "a.jsonl", lines)], developer_email="ana@example.com").status == "done"
    daily_cost_recompute_dirty()
    assert OrgSettings.get().time_zone == "UTC"
    assert list(DailyCost.objects.values_list("day", flat=True)) == [date(2026, 3, 6)]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_user).post("/settings/", FORM | {"time_zone": "America/New_York"}, follow=True)
    # Two: March 5 (where the request now falls) and March 6 (whose old row must go).
    assert "2 developer-days are being recomputed" in response.content.decode()
    assert list(DailyCost.objects.values_list("day", flat=True)) == [date(2026, 3, 5)]
    (entry,) = org_entries(action=LogEntry.Action.UPDATE)
    assert entry.changes["time_zone"] == ["UTC", "America/New_York"] and entry.actor == admin_user
