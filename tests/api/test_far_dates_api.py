"""Dates far in the past in the pages' and the API's since/until (issue 11, item 7): the page shows
the reason and its default range, the API answers 400 with it; never a 500 (the default range counts
29 days back from ``until``, which overflowed before year 1)."""
import pytest

pytestmark = pytest.mark.django_db
QUERIES = [{"until": "0001-01-05"}, {"since": "0001-01-01", "until": "0001-01-02"}, {"since": "1999-12-31"}]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("url", ["/api/v1/daily-costs/", "/api/v1/developers/"])
def test_the_api_answers_400_with_the_reason(billing_user, api_as, url, query):
    response = api_as(billing_user).get(url, query)
    assert response.status_code == 400
    assert "too long ago: dates start at 2000-01-01" in str(response.json())


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("url", ["/", "/developers/", "/models/"])
def test_the_pages_show_the_reason_and_their_default_range(client, billing_user, url, query):
    client.force_login(billing_user)
    response = client.get(url, query)
    assert response.status_code == 200 and "too long ago: dates start at 2000-01-01" in response.content.decode()
