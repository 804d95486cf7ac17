"""Months far out of range (issue 11, item 7): the shared MonthForm refuses them with a reason, and
the Limits and Reports pages fall back to their default month with that reason: never a 500 (0001-01
overflowed the previous-month arithmetic)."""
from datetime import date, timedelta

from django.urls import reverse
import pytest

from costdash.dashboard.filters import org_today
from costdash.limits.forms import MonthForm
from costdash.reports.models import GeneratedReport
from tests.limits.conftest import org_limit

pytestmark = pytest.mark.django_db
FAR = ["0001-01", "0001-12", "1999-12", "0000-01", "9999-12", "10000-01", "-001-01"]


@pytest.mark.parametrize("text, error", [
    ("0001-01", "“0001-01” is too long ago: months start at 2000-01."),
    ("1999-12", "“1999-12” is too long ago: months start at 2000-01."),
    ("0000-01", "“0000-01” is not a month: use YYYY-MM, e.g. 2026-03."),
    ("9999-12", "December 9999 has not started yet."),
])
def test_the_month_form_refuses_far_months_with_a_reason(text, error):
    form = MonthForm({"month": text}, today=date(2026, 3, 10))
    assert not form.is_valid() and form.errors["month"] == [error]
    assert form.first_day() == date(2026, 3, 1)
    assert MonthForm({"month": "2000-01"}, today=date(2026, 3, 10)).first_day() == date(2000, 1, 1)


@pytest.mark.parametrize("month", FAR)
def test_the_limits_page_shows_this_month_and_why(client, billing_user, month):
    org_limit("100")
    client.force_login(billing_user)
    response = client.get("/limits/", {"month": month})
    html = response.content.decode()
    assert response.status_code == 200 and "That month could not be shown" in html
    assert f"Showing {org_today():%B %Y} instead" in html


@pytest.mark.parametrize("month", FAR)
def test_the_reports_page_shows_last_month_and_why(client, billing_user, month):
    client.force_login(billing_user)
    response = client.get(reverse("reports:month"), {"month": month})
    html = response.content.decode()
    assert response.status_code == 200 and "That month could not be shown" in html
    last = (org_today().replace(day=1) - timedelta(days=1)).replace(day=1)
    assert f"Monthly report: {last:%B %Y}" in html


def test_the_earliest_month_itself_is_shown(client, billing_user):
    client.force_login(billing_user)
    html = client.get(reverse("reports:month"), {"month": "2000-01"}).content.decode()
    assert "That month could not be shown" not in html and "Monthly report: January 2000" in html
    assert client.get("/limits/", {"month": "2000-01"}).status_code == 200


@pytest.mark.parametrize("month", ["0001-01", "0000-01", "9999-12"])
def test_an_export_of_a_far_month_is_refused_not_built(client, billing_user, month):
    client.force_login(billing_user)
    response = client.post(reverse("reports:export"), {"month": month, "format": "csv", "sheet": "developers"})
    assert response.status_code < 500 and not GeneratedReport.objects.exists()
