"""The API's month path parameter (issue 11, item 7): a month far out of range is a 400 naming the
month, never a 500."""
import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("month, reason", [
    ("0001-01", "too long ago"), ("1999-12", "too long ago"), ("0000-01", "is not a month"),
    ("9999-12", "has not started yet"), ("2026-13", "is not a month"), ("²⁰²⁶-03", "is not a month"),
])
@pytest.mark.parametrize("path", ["/api/v1/reports/{}/", "/api/v1/reports/{}/files/"])
def test_a_far_month_is_a_400_with_the_reason(billing_user, api_as, month, reason, path):
    response = api_as(billing_user).get(path.format(month))
    assert response.status_code == 400, response.content
    assert reason in response.json()["month"][0]
