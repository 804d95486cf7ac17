"""403 pages (issue 13): a refused page is the site's own page, with its navigation and the reason,
for PermissionDenied raised in any view."""
from django.urls import reverse
import pytest


@pytest.mark.parametrize(("persona", "url", "reason"), [
    ("billing_user", "ingest:upload", "Billing users read figures; importing is for admins and developers."),
    ("developer_user", "ingest:tokens", "Only admins manage ingest tokens."),
    ("developer_user", "accounts:unassigned", "Only admins map people."),
])
def test_a_refused_page_has_the_layout_the_navigation_and_the_reason(client, request, persona, url, reason):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(reverse(url))
    assert response.status_code == 403
    html = response.content.decode()
    assert '<nav class="topbar__inner" aria-label="Main">' in html and 'href="/static/css/app.css"' in html
    assert reason in html and "You cannot open this page" in html
    assert f"logged in as <strong>{user.get_username()}</strong>" in html
    assert "403 Forbidden" not in html

