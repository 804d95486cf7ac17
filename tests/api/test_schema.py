"""The OpenAPI schema validates with no warning and lists every endpoint; the docs page is Swagger UI
served from this site's static files (the sidecar), never a CDN, for logged-in users."""
import re

from django.contrib.staticfiles import finders
from django.core.management import call_command
import pytest
import yaml

pytestmark = pytest.mark.django_db
ENDPOINTS = {
    "/api/v1/daily-costs/": {"get"}, "/api/v1/developers/": {"get"}, "/api/v1/developers/{id}/": {"get"},
    "/api/v1/developers/{id}/sessions/": {"get"}, "/api/v1/alerts/": {"get"}, "/api/v1/alerts/{id}/": {"get"},
    "/api/v1/alerts/{id}/acknowledge/": {"post"}, "/api/v1/alert-rules/": {"get"}, "/api/v1/reports/": {"get"}, "/api/v1/reports/{month}/": {"get"},
    "/api/v1/reports/{month}/files/": {"get", "post"}, "/api/v1/reports/files/{id}/download/": {"get"},
    "/api/v1/reports/files/{id}/": {"get"},
    "/api/v1/reports/{month}/close/": {"get", "post"}, "/api/v1/reports/{month}/reopen/": {"post"},
    "/api/v1/reports/{month}/focus.csv": {"get"},
    "/api/v1/plans/": {"get"}, "/api/v1/plans/advice/": {"get"}, "/api/v1/plans/advice/developers/{id}/": {"get"},
    "/api/v1/audit/": {"get"},
    "/api/v1/budgets/": {"get", "post"}, "/api/v1/budgets/mine/": {"get"},
    "/api/v1/budgets/{id}/": {"get", "patch", "delete"},
    "/api/v1/rate-limits/": {"get"}, "/api/v1/rate-limits/limits/": {"get", "put"},
}


def test_the_schema_validates_without_warnings_and_lists_every_endpoint(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert {path: set(ops) for path, ops in schema["paths"].items()} == ENDPOINTS
    assert set(schema["components"]["securitySchemes"]) == {"apiToken", "cookieAuth"}
    cost = schema["components"]["schemas"]["DeveloperDay"]["properties"]["cost"]
    assert cost["type"] == "string" and cost["format"] == "decimal"  # money is never a float
    listed = schema["paths"]["/api/v1/daily-costs/"]["get"]
    assert {p["name"] for p in listed["parameters"]} == {"since", "until", "team", "developer", "model", "project",
                                                          "page", "page_size"}


def test_the_schema_is_served_to_a_token(developer_user, api_as):
    response = api_as(developer_user).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200 and response.json()["openapi"].startswith("3.")


def test_the_docs_page_is_swagger_ui_from_static_files(client, developer_user):
    client.force_login(developer_user)
    html = client.get("/api/docs/").content.decode()
    start = client.get("/api/docs/?script=").content.decode()  # the start-up script, a file (CSP)
    assert "cdn." not in html + start and "/api/schema/" in start
    scripts = re.findall(r'src="/static/([^"]+)"', html)
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in scripts
    assert all(finders.find(path) for path in scripts)


def test_anonymous_visitors_get_the_login_page_or_401(client):
    assert client.get("/api/docs/")["Location"] == "/login/?next=/api/docs/"
    assert client.get("/api/schema/").status_code == 401


def test_a_browser_opening_an_endpoint_gets_json(client, developer_user):
    client.force_login(developer_user)
    response = client.get("/api/v1/daily-costs/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
