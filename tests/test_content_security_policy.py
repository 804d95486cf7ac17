"""Content-Security-Policy (django-csp): every page is served with it, it allows no inline script and no
other site, and no template of ours holds what it would refuse (inline script, on* handler, style
attribute, <style> element). tests/e2e/test_dashboard_browser.py checks in Chromium that no page breaks it."""
from pathlib import Path
import re

from django.urls import reverse
import pytest

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


PAGES = [
    "/login/", "/password-reset/", "/", "/developers/", "/cache/", "/models/", "/limits/", "/reports/",
    "/alerts/", "/imports/", "/imports/upload/", "/people/unassigned/", "/connectors/", "/api/tokens/",
    "/admin/", "/admin/auth/user/", "/api/docs/", "/api/docs/?script=", "/api/v1/daily-costs/",
    "/prices/", "/prices/new/", "/plans/prices/", "/settings/",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_policy(client, admin_user, django_user_model, path):
    if path.startswith("/admin/"):  # the Django admin is the superusers'
        admin_user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")
    client.force_login(admin_user)
    response = client.get(path)
    assert response.status_code == 200, path
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert "'unsafe-inline'" not in directives["style-src"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]


def test_the_api_docs_load_their_start_up_script_as_a_file(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/api/docs/").content.decode()
    assert re.search(r'<script src="/api/docs/\?script="', page)
    assert not re.search(r"<script>|<style>", page)
    script = client.get(reverse("api:docs") + "?script=")
    assert script["Content-Type"].startswith("application/javascript") and b"SwaggerUIBundle" in script.content


def test_the_lockout_page_has_the_policy(client, developer_user, settings):
    for i in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post("/login/", {"username": "ana", "password": f"guess-{i}"})
    assert response.status_code == 429 and policy(response)["script-src"] == ["'self'"]


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on* event handler attribute"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style[\s>]", re.I), "<style> element"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_holds_what_the_policy_refuses():
    found = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        text = template.read_text()
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(ROOT)}:{line}: {what}")
    assert found == []
