"""The role matrix: every URL the project serves, for every persona, against the role rules.

Admin: everything, settings, identities, channels. Billing: all spend figures and reports (and read-only
views of limits, alert rules and import history), no settings, uploads or ingest tokens. Developer:
their own usage, sessions, alerts and imports only. Anonymous: the login page (and password reset), the
push script, the token-authenticated ingest endpoints, which a session never opens, and the operations probes
(health; /metrics from this host or with its token).

Personas: anonymous; "developer" (Ana, who owns the objects below: her developer page, alert, import
and API token); "other developer" (Bo, a developer login opening Ana's objects); billing; admin (a
member of the admin group, not a superuser, not staff). Every (non-admin-site) URL pattern must have a row
in MATRIX: a new URL fails test_every_url_is_in_the_matrix until its row says who may open it. The Django
admin's patterns are checked generically (its site lets in active superusers alone: the admin role works on
costdash's own pages).

Each persona's requests run in a savepoint rolled back afterwards, so one persona's POST (a delete, an
acknowledgement) never changes what the next one sees.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import re

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
import pytest

from costdash.accounts.models import Developer, Identity
from costdash.alerts.models import AlertEvent, AlertRule, Channel
from costdash.alerts.services import channel_save
from costdash.api.services import api_token_create
from costdash.budgets.models import Budget
from costdash.chargeback.models import ChargebackRule, DailyDimensionCost, ProjectAlias
from costdash.connectors.models import AdminApiConnection
from costdash.connectors.services import connection_save
from costdash.dashboard.filters import org_today
from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import ImportBatch, IngestToken
from costdash.limits.models import SpendLimit
from costdash.planning.models import PlanPrice
from costdash.pricing.models import ModelPrice
from costdash.reports.closing import month_close
from costdash.reports.selectors import last_month
from costdash.reports.services import report_generate
from costdash.rollups.models import SessionDay
from costdash.sso.models import GroupRoleMapping
from tests.factories import DailyCostFactory, DeveloperFactory, UserFactory

ANON, OWNER, OTHER, BILLING, ADMIN = "anonymous", "developer", "other developer", "billing", "admin"
PERSONAS = (ANON, OWNER, OTHER, BILLING, ADMIN)
LOGIN = "login"  # a redirect to /login/?next=<the url>
GET, POST = "get", "post"


def rule(anon=LOGIN, owner=200, other=200, billing=200, admin=200) -> dict:
    return {ANON: anon, OWNER: owner, OTHER: other, BILLING: billing, ADMIN: admin}


EVERYONE = rule()  # any login
OWN = rule(other=404)  # Ana's object: someone else's is not found, as if it did not exist
SPEND = rule(owner=403, other=403)  # admins and billing
ADMINS = rule(owner=403, other=403, billing=403)
UPLOADERS = rule(billing=403)  # admins and developers import; billing only reads
PUBLIC = rule(anon=200)
API_EVERYONE = rule(anon=401)
API_OWN = rule(anon=401, other=404)
API_SPEND = rule(anon=401, owner=403, other=403)
API_ADMINS = rule(anon=401, owner=403, other=403, billing=403)
INGEST = rule(anon=401, owner=401, other=401, billing=401, admin=401)  # a token only, never a session
NOT_GET = rule(anon=405, owner=405, other=405, billing=405, admin=405)


def succeeds(base: dict, status: int) -> dict:
    """``base`` with ``status`` for the personas it allows (200): a POST that redirects or creates."""
    return {persona: status if expected == 200 else expected for persona, expected in base.items()}


@dataclass(frozen=True)
class Url:
    name: str  # the pattern's namespaced name
    path: str  # formatted with the world's ids
    expect: dict
    method: str = GET
    data: dict = field(default_factory=dict)


MATRIX = [
    # Log in, out, and password reset: open to all.
    Url("login", "/login/", PUBLIC),
    Url("logout", "/logout/", succeeds(PUBLIC, 302), POST),
    Url("password_reset", "/password-reset/", PUBLIC),
    Url("password_reset", "/password-reset/", succeeds(PUBLIC, 302), POST, {"email": "ana@example.com"}),
    Url("password_reset_done", "/password-reset/sent/", PUBLIC),
    Url("password_reset_confirm", "/password-reset/Mg/bad-token/", PUBLIC),  # "this link does not work"
    Url("password_reset_complete", "/password-reset/done/", PUBLIC),
    Url("invite_accept", "/invite/Mg/bad-token/", PUBLIC),  # an invite's link: "this invite link does not work"
    # Dashboard: every login, narrowed to what it may see.
    Url("dashboard:overview", "/", EVERYONE),
    Url("dashboard:developers", "/developers/", EVERYONE),
    Url("dashboard:developer", "/developers/{ana}/", OWN),
    Url("dashboard:cache", "/cache/", EVERYONE),
    Url("dashboard:models", "/models/", EVERYONE),
    Url("dashboard:sessions", "/sessions/", EVERYONE),
    Url("dashboard:session", "/sessions/ana-session-1/", OWN),
    Url("dashboard:projects", "/projects/", EVERYONE),
    # Limits: billing reads, admins change.
    Url("limits:list", "/limits/", SPEND),
    Url("limits:create", "/limits/new/", ADMINS),
    Url("limits:create", "/limits/new/", succeeds(ADMINS, 302), POST,
        {"scope": "workspace", "workspace": "wrkspc_new", "amount": "500", "warning_share": "0.8"}),
    Url("limits:edit", "/limits/{limit}/", ADMINS),
    Url("limits:edit", "/limits/{limit}/", succeeds(ADMINS, 302), POST,
        {"scope": "org", "amount": "900", "warning_share": "0.8"}),
    Url("limits:delete", "/limits/{limit}/delete/", ADMINS),
    Url("limits:delete", "/limits/{limit}/delete/", succeeds(ADMINS, 302), POST),
    # Budgets: everyone sees their own (admins and billing all); admins change them and push them to LiteLLM.
    Url("budgets:list", "/budgets/", EVERYONE),
    Url("budgets:create", "/budgets/new/", ADMINS),
    Url("budgets:create", "/budgets/new/", succeeds(ADMINS, 302), POST,
        {"scope": "team", "team": "{team}", "period": "week", "amount": "400", "alert_shares": "50, 100"}),
    Url("budgets:edit", "/budgets/{budget}/", ADMINS),
    Url("budgets:edit", "/budgets/{budget}/", succeeds(ADMINS, 302), POST,
        {"scope": "developer", "developer": "{ana}", "period": "month", "amount": "250", "alert_shares": "80"}),
    Url("budgets:delete", "/budgets/{budget}/delete/", ADMINS),
    Url("budgets:delete", "/budgets/{budget}/delete/", succeeds(ADMINS, 302), POST),
    Url("budgets:enforce", "/budgets/{budget}/enforce/", succeeds(ADMINS, 302), POST),  # off: a message says so
    Url("budgets:release", "/budgets/{budget}/release/", succeeds(ADMINS, 302), POST),
    Url("budgets:litellm", "/budgets/litellm/", ADMINS),
    Url("budgets:litellm", "/budgets/litellm/", ADMINS, POST, {"base_url": "https://litellm.example.com"}),
    # Rate limits: billing reads, admins enter the org's limits.
    Url("ratelimits:page", "/rate-limits/", SPEND),
    Url("ratelimits:edit", "/rate-limits/limits/", ADMINS),
    Url("ratelimits:edit", "/rate-limits/limits/", succeeds(ADMINS, 302), POST,
        {"itpm": "400000", "otpm": "80000", "rpm": "2000", "note": "Tier 4"}),
    # Chargeback rules: billing reads, admins change.
    Url("chargeback:list", "/chargeback/", SPEND),
    Url("chargeback:create", "/chargeback/new/", ADMINS),
    Url("chargeback:create", "/chargeback/new/", succeeds(ADMINS, 302), POST,
        {"position": "5", "dimension": "tag", "pattern": "team-*", "cost_center": "CC-A"}),
    Url("chargeback:edit", "/chargeback/{chargeback_rule}/", ADMINS),
    Url("chargeback:edit", "/chargeback/{chargeback_rule}/", succeeds(ADMINS, 302), POST,
        {"position": "1", "dimension": "everything", "cost_center": "CC-DEFAULT"}),
    Url("chargeback:delete", "/chargeback/{chargeback_rule}/delete/", ADMINS),
    Url("chargeback:delete", "/chargeback/{chargeback_rule}/delete/", succeeds(ADMINS, 302), POST),
    # Project names (rename, merge): billing reads, admins change.
    Url("chargeback:project_names", "/chargeback/projects/", SPEND),
    Url("chargeback:project_name_create", "/chargeback/projects/new/", ADMINS),
    Url("chargeback:project_name_create", "/chargeback/projects/new/", succeeds(ADMINS, 302), POST,
        {"repository": "/srv/checkouts/api", "name": "api"}),
    Url("chargeback:project_name_edit", "/chargeback/projects/{project_alias}/", ADMINS),
    Url("chargeback:project_name_edit", "/chargeback/projects/{project_alias}/", succeeds(ADMINS, 302), POST,
        {"repository": "/home/ana/src/shop", "name": "Shop"}),
    Url("chargeback:project_name_delete", "/chargeback/projects/{project_alias}/delete/", ADMINS),
    Url("chargeback:project_name_delete", "/chargeback/projects/{project_alias}/delete/", succeeds(ADMINS, 302),
        POST),
    # Monthly reports and their downloads: admins and billing.
    Url("reports:month", "/reports/", SPEND),
    Url("reports:export", "/reports/export/", succeeds(SPEND, 302), POST,
        {"month": "{month}", "format": "csv", "sheet": "teams"}),
    Url("reports:export_focus", "/reports/export/focus/", succeeds(SPEND, 302), POST, {"month": "{month}"}),
    Url("reports:download", "/reports/{report}/download", SPEND),
    Url("reports:status", "/reports/{report}/status", SPEND),
    Url("reports:close", "/reports/close/", succeeds(SPEND, 302), POST, {"month": "{month}", "note": "books"}),
    Url("reports:reopen", "/reports/reopen/", succeeds(SPEND, 302), POST, {"month": "{closed_month}"}),
    # Alerts: everyone their own (admins and billing all); channels admins; rules billing reads.
    Url("alerts:list", "/alerts/", EVERYONE),
    Url("alerts:detail", "/alerts/{alert}/", OWN),
    Url("alerts:detail", "/alerts/{alert}/", succeeds(OWN, 302), POST, {"note": "seen"}),
    Url("alerts:channels", "/alerts/channels/", ADMINS),
    Url("alerts:channel_create", "/alerts/channels/new/?kind=email", ADMINS),
    Url("alerts:channel_edit", "/alerts/channels/{channel}/", ADMINS),
    Url("alerts:channel_delete", "/alerts/channels/{channel}/delete/", ADMINS),
    Url("alerts:channel_delete", "/alerts/channels/{channel}/delete/", succeeds(ADMINS, 302), POST),
    Url("alerts:channel_test", "/alerts/channels/{channel}/test/", succeeds(ADMINS, 302), POST),
    Url("alerts:rules", "/alerts/rules/", SPEND),
    Url("alerts:rule_create", "/alerts/rules/new/", ADMINS),
    Url("alerts:rule_edit", "/alerts/rules/{rule}/", ADMINS),
    Url("alerts:rule_delete", "/alerts/rules/{rule}/delete/", ADMINS),
    Url("alerts:rule_delete", "/alerts/rules/{rule}/delete/", succeeds(ADMINS, 302), POST),
    # Plan advice: everyone their own (admins and billing every developer); the plan table for all.
    Url("planning:advice", "/plans/", EVERYONE),
    Url("planning:developer", "/plans/developers/{ana}/", OWN),
    # Prices, plan prices and the org settings: billing reads the prices, admins change them; settings admins only.
    Url("pricing:list", "/prices/", SPEND),
    Url("pricing:list", "/prices/?model=opus", SPEND),
    Url("pricing:create", "/prices/new/", ADMINS),
    Url("pricing:create", "/prices/new/", succeeds(ADMINS, 302), POST,
        {"model": "claude-matrix-1", "speed": "standard", "min_input_tokens": "0", "input": "3",
         "cache_write_5m": "3.75", "cache_write_1h": "6", "cache_read": "0.3", "output": "15", "us_multiplier": "1"}),
    Url("pricing:edit", "/prices/{model_price}/", ADMINS),
    Url("pricing:edit", "/prices/{model_price}/", succeeds(ADMINS, 302), POST,
        {"model": "claude-matrix-0", "speed": "standard", "min_input_tokens": "0", "input": "2",
         "cache_write_5m": "2.5", "cache_write_1h": "4", "cache_read": "0.2", "output": "10", "us_multiplier": "1"}),
    Url("pricing:edit", "/prices/{file_price}/", ADMINS | {ADMIN: 403}),  # the rate file's row: read-only
    Url("pricing:delete", "/prices/{model_price}/delete/", ADMINS),
    Url("pricing:delete", "/prices/{model_price}/delete/", succeeds(ADMINS, 302), POST),
    Url("planning:prices", "/plans/prices/", SPEND),
    Url("planning:price_create", "/plans/prices/new/", succeeds(ADMINS, 302), POST,
        {"plan": "enterprise", "monthly_price": "60", "effective_from": "2026-10-01", "as_of": "2026-09-15",
         "source": "our contract", "confidence": "verified"}),
    Url("planning:price_delete", "/plans/prices/{plan_price}/delete/", ADMINS),
    Url("planning:price_delete", "/plans/prices/{plan_price}/delete/", succeeds(ADMINS, 302), POST),
    Url("planning:price_delete", "/plans/prices/{seeded_plan_price}/delete/", ADMINS | {ADMIN: 403}),
    Url("org_settings", "/settings/", ADMINS),
    Url("org_settings", "/settings/", succeeds(ADMINS, 302), POST,
        {"name": "Acme", "time_zone": "UTC", "average_daily_cost": "13.00", "daily_ceiling": "30.00"}),
    # Imports: history for all (their own unless admin or billing); uploads and push for admins and
    # developers; ingest tokens admins only; the push script is public (it holds no secret).
    Url("ingest:history", "/imports/", EVERYONE),
    Url("ingest:batch", "/imports/{batch}/", OWN),
    Url("ingest:upload", "/imports/upload/", UPLOADERS),
    Url("ingest:upload", "/imports/upload/", UPLOADERS, POST),  # no file: the form again
    Url("ingest:push", "/imports/push/", UPLOADERS),
    Url("ingest:push", "/imports/push/", UPLOADERS, POST, {"action": "create", "name": "laptop"}),
    Url("ingest:push_script", "/imports/push/costdash_push.py", PUBLIC),
    Url("ingest:tokens", "/imports/tokens/", ADMINS),
    Url("ingest:tokens", "/imports/tokens/", ADMINS, POST, {"name": "collector", "kind": "otlp"}),
    Url("ingest:token_revoke", "/imports/tokens/{ingest_token}/revoke/", succeeds(ADMINS, 302), POST),
    # Ingest endpoints: an ingest token, never a session.
    Url("otlp_logs", "/v1/logs", INGEST, POST),
    Url("otlp_metrics", "/v1/metrics", INGEST, POST),
    Url("litellm_callback", "/ingest/litellm", INGEST, POST),
    Url("transcripts_push", "/ingest/transcripts", INGEST, POST),
    # Operations (costdash.ops): probes and Prometheus have no login, so a session changes nothing. Health names
    # checks and figures only; /metrics needs COSTDASH_METRICS_TOKEN, or (unset, as here) a request from this host:
    # the test client's 127.0.0.1 (tests/ops/test_metrics.py refuses other addresses and proxied requests).
    Url("ops:healthz", "/healthz/", PUBLIC),
    Url("ops:readyz", "/readyz/?checks=database,broker", PUBLIC),  # no worker or beat here: not asked for
    Url("ops:metrics", "/metrics", PUBLIC),
    Url("files_import", "/ingest/files", INGEST, POST),
    Url("files_import", "/ingest/files", NOT_GET),
    Url("files_import_status", "/ingest/files/{batch}", INGEST),
    # People and connectors: admins.
    Url("accounts:unassigned", "/people/unassigned/", ADMINS),
    Url("accounts:identity_map", "/people/identities/{identity}/map/", succeeds(ADMINS, 302), POST,
        {"email": "bo@example.com"}),
    Url("accounts:merge", "/people/merge/", succeeds(ADMINS, 302), POST, {"duplicate": "{cy}", "into": "{bo}"}),
    # Members: admins invite, change roles, link developers, deactivate and reactivate logins.
    Url("accounts:members", "/people/members/", ADMINS),
    Url("accounts:member_invite", "/people/members/invite/", succeeds(ADMINS, 302), POST,
        {"email": "dee@example.com", "role": "billing", "developer": "new"}),
    Url("accounts:member_role", "/people/members/{bo_user}/role/", succeeds(ADMINS, 302), POST, {"role": "billing"}),
    Url("accounts:member_developer", "/people/members/{bo_user}/developer/", succeeds(ADMINS, 302), POST,
        {"developer": "{cy}"}),
    Url("accounts:member_deactivate", "/people/members/{bo_user}/deactivate/", succeeds(ADMINS, 302), POST),
    Url("accounts:member_reactivate", "/people/members/{bo_user}/reactivate/", succeeds(ADMINS, 302), POST),
    Url("accounts:member_invite_resend", "/people/members/{bo_user}/resend/", succeeds(ADMINS, 302), POST),
    # Single sign-on: the group -> role mapping is admins'; signing in through the provider is 404 while SSO is
    # off, as it is here (tests/sso and tests/e2e/test_sso_browser.py sign in with it on).
    Url("sso:start", "/sso/login/", rule(anon=404, owner=404, other=404, billing=404, admin=404)),
    Url("sso:callback", "/sso/callback/?code=x&state=y", rule(anon=404, owner=404, other=404, billing=404, admin=404)),
    Url("sso:mappings", "/sso/roles/", ADMINS),
    Url("sso:mappings", "/sso/roles/", succeeds(ADMINS, 302), POST, {"claim_value": "finance", "role": "billing"}),
    Url("sso:mapping_update", "/sso/roles/{role_mapping}/", succeeds(ADMINS, 302), POST, {"role": "admin"}),
    Url("sso:mapping_delete", "/sso/roles/{role_mapping}/delete/", succeeds(ADMINS, 302), POST),
    Url("connectors:list", "/connectors/", ADMINS),
    Url("connectors:create", "/connectors/new/", ADMINS),
    Url("connectors:edit", "/connectors/{connection}/", ADMINS),
    Url("connectors:delete", "/connectors/{connection}/delete/", ADMINS),
    Url("connectors:delete", "/connectors/{connection}/delete/", succeeds(ADMINS, 302), POST),
    Url("connectors:pull", "/connectors/{connection}/pull/", succeeds(ADMINS, 302), POST),
    # The audit trail: admins only, on the page and in the API.
    Url("audit:list", "/audit/", ADMINS),
    Url("audit:list", "/audit/?actor=admin&kind=limits.SpendLimit&event=changed&since=2026-01-01&until=2026-12-31",
        ADMINS),
    # API tokens: everyone their own; admins revoke anyone's.
    Url("api:tokens", "/api/tokens/", EVERYONE),
    Url("api:tokens", "/api/tokens/", EVERYONE, POST, {"name": "script"}),
    Url("api:tokens", "/api/tokens/", rule(owner=400, other=400, billing=400), POST,  # "never": admins only
        {"name": "forever", "expires": "never"}),
    Url("api:token_revoke", "/api/tokens/{api_token}/revoke/", rule(owner=302, other=404, billing=404, admin=302),
        POST),
    # The API: a token or a session; developers their own, reports admins and billing.
    Url("api:schema", "/api/schema/", API_EVERYONE),
    Url("api:docs", "/api/docs/", EVERYONE),
    Url("api:daily_costs", "/api/v1/daily-costs/", API_EVERYONE),
    Url("api:developers", "/api/v1/developers/", API_EVERYONE),
    Url("api:developer", "/api/v1/developers/{ana}/", API_OWN),
    Url("api:developer_sessions", "/api/v1/developers/{ana}/sessions/", API_OWN),
    Url("api:plan_prices", "/api/v1/plans/", API_EVERYONE),
    Url("api:plan_advice", "/api/v1/plans/advice/", API_EVERYONE),
    Url("api:plan_advice_developer", "/api/v1/plans/advice/developers/{ana}/", API_OWN),
    Url("api:alerts", "/api/v1/alerts/", API_EVERYONE),
    Url("api:alert", "/api/v1/alerts/{alert}/", API_OWN),
    Url("api:alert_acknowledge", "/api/v1/alerts/{alert}/acknowledge/", API_OWN, POST, {"note": "seen"}),
    Url("api:alert_rules", "/api/v1/alert-rules/", API_SPEND),
    Url("api:audit", "/api/v1/audit/", API_ADMINS),
    Url("api:budgets", "/api/v1/budgets/", API_EVERYONE),
    Url("api:budgets", "/api/v1/budgets/", succeeds(API_ADMINS, 201), POST,
        {"scope": "team", "team": "{team}", "period": "week", "amount": "400"}),
    Url("api:my_budgets", "/api/v1/budgets/mine/", API_EVERYONE),
    Url("api:budget", "/api/v1/budgets/{budget}/", API_OWN),
    Url("api:budget", "/api/v1/budgets/{budget}/", succeeds(API_ADMINS, 204), "delete"),
    Url("api:report_months", "/api/v1/reports/", API_SPEND),
    Url("api:report_month", "/api/v1/reports/{month}/", API_SPEND),
    Url("api:report_files", "/api/v1/reports/{month}/files/", API_SPEND),
    Url("api:report_files", "/api/v1/reports/{month}/files/", succeeds(API_SPEND, 201), POST,
        {"format": "csv", "sheet": "teams"}),
    Url("api:report_focus", "/api/v1/reports/{month}/focus.csv", API_SPEND),
    Url("api:report_close", "/api/v1/reports/{closed_month}/close/", API_SPEND),
    Url("api:report_close", "/api/v1/reports/{month}/close/", succeeds(API_SPEND, 201), POST, {"note": "books"}),
    Url("api:report_reopen", "/api/v1/reports/{closed_month}/reopen/", API_SPEND, POST, {"note": "late import"}),
    Url("api:report_file", "/api/v1/reports/files/{report}/", API_SPEND),
    Url("api:report_file_download", "/api/v1/reports/files/{report}/download/", API_SPEND),
    Url("api:rate_limits", "/api/v1/rate-limits/", API_SPEND),
    Url("api:rate_limit_settings", "/api/v1/rate-limits/limits/", API_SPEND),
]


@pytest.fixture
def world(developer_user, billing_user, admin_user, settings, tmp_path) -> dict:
    """The personas' users and one of everything, Ana's where it has an owner; ids for MATRIX's paths."""
    settings.MEDIA_ROOT = tmp_path / "media"
    ana = Developer.objects.get(user=developer_user)
    bo = DeveloperFactory(email="bo@example.com", name="Bo", user=UserFactory(username="bo"))
    cy = DeveloperFactory(email="cy@example.com", name="Cy")
    today = org_today()
    for developer, cost in ((ana, "31.00"), (bo, "12.00")):
        DailyCostFactory(developer=developer, day=today - timedelta(days=1), cost=Decimal(cost))
    DailyCostFactory(developer=ana, day=last_month(today), cost=Decimal("5.00"))
    at = datetime.now(UTC)
    SessionDay.objects.create(developer=ana, day=today, session_id="ana-session-1", requests=2, cost=Decimal("1.25"),
                              first_at=at - timedelta(minutes=5), last_at=at)
    rule_ = AlertRule.objects.create(kind="daily_ceiling", threshold=30)
    alert = AlertEvent.objects.create(rule=rule_, subject_key=f"developer:{ana.pk}", day=today, developer=ana,
                                      figure=31, threshold=30, summary="Ana spent $31.00.", link="/")
    connection = AdminApiConnection(name="Acme", pull_usage=False, pull_cost=False, pull_claude_code=False)
    month = last_month(today)
    closed_month = last_month(month)  # closed by billing: it may be reopened
    month_close(closed_month, billing_user)
    return {
        "users": {ANON: None, OWNER: developer_user, OTHER: bo.user, BILLING: billing_user, ADMIN: admin_user},
        "ana": ana.pk, "bo": bo.pk, "cy": cy.pk, "bo_user": bo.user.pk, "alert": alert.pk, "rule": rule_.pk, "month": f"{month:%Y-%m}",
        "closed_month": f"{closed_month:%Y-%m}",
        "channel": channel_save(Channel(kind="email", name="Finance"), {"to": ["finance@example.com"]}).pk,
        "limit": SpendLimit.objects.create(scope="org", amount=Decimal("1000")).pk,
        "budget": Budget.objects.create(scope="developer", developer=ana, period="month", amount=Decimal("300")).pk,
        "team": ana.team_id,
        "chargeback_rule": ChargebackRule.objects.create(dimension="project", pattern="*/payments",
                                                         cost_center="CC-PAY").pk,
        "project_alias": ProjectAlias.objects.create(repository="/home/ana/src/shop", name="shop").pk,
        "project_usage": DailyDimensionCost.objects.create(developer=ana, day=today, model="claude-sonnet-4-6",
                                                           source="claude_code_jsonl", project="/srv/checkouts/api",
                                                           cost=Decimal("1.5"), requests=3).pk,
        "batch": ImportBatch.objects.create(source="claude_code_jsonl", developer=ana, created_by=developer_user,
                                            status="done", label="ana.jsonl").pk,
        "ingest_token": ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[0].pk,
        "api_token": api_token_create(user=developer_user, name="ana's script")[0].pk,
        "identity": Identity.objects.create(source="litellm", external_id="key-alias-7").pk,
        "role_mapping": GroupRoleMapping.objects.create(claim_value="engineering", role="developer").pk,
        "connection": connection_save(connection, admin_key="sk-ant-admin01-" + "x" * 40).pk,
        "model_price": ModelPrice.objects.create(model="claude-matrix-0", input=1, cache_write_5m=1, cache_write_1h=1,
                                                 cache_read=1, output=1).pk,
        "file_price": ModelPrice.objects.filter(from_rate_file=True).first().pk,
        "plan_price": PlanPrice.objects.create(plan="pro", monthly_price=25, effective_from="2026-11-01",
                                               as_of="2026-11-01", source="a quote", confidence="verified").pk,
        "seeded_plan_price": PlanPrice.objects.filter(from_seed=True).first().pk,
        "report": report_generate(month, "csv", sheet="developers").pk,
    }


def status_of(client: Client, method: str, url: str, data: dict) -> int | str:
    response = getattr(client, method)(url, data)
    if response.streaming:  # a download: read it, which closes its file
        b"".join(response.streaming_content)
    if response.status_code == 302 and response["Location"].startswith("/login/?next="):
        return LOGIN
    return response.status_code


def formatted(text: str, world: dict) -> str:
    return text.format(**{k: v for k, v in world.items() if k != "users"})


def as_persona(world: dict, persona: str) -> Client:
    client = Client()
    if world["users"][persona] is not None:
        client.force_login(world["users"][persona])
    return client


@pytest.mark.parametrize("url", MATRIX, ids=[f"{u.method.upper()} {u.path}" for u in MATRIX])
def test_who_may_open_what(world, url):
    path = formatted(url.path, world)
    data = {k: formatted(v, world) for k, v in url.data.items()}
    wrong = []
    for persona in PERSONAS:
        with transaction.atomic():  # each persona sees the world as it was
            got = status_of(as_persona(world, persona), url.method, path, data)
            transaction.set_rollback(True)
        if got != url.expect[persona]:
            wrong.append(f"{persona}: {got}, expected {url.expect[persona]}")
    assert not wrong, f"{url.method.upper()} {path}: " + "; ".join(wrong)


def test_anonymous_visitors_are_sent_to_log_in_with_their_way_back(world, client):
    path = formatted("/developers/{ana}/", world)
    assert client.get(path)["Location"] == f"/login/?next={path}"


# Every URL is in the matrix


def url_patterns(patterns=None, prefix: str = "", namespace: str = ""):
    """(route, namespaced name or "", pattern) of every URL pattern, walking included resolvers."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from url_patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            assert isinstance(entry, URLPattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            yield prefix + str(entry.pattern), name, entry


def is_admin_site(route: str) -> bool:
    return route.startswith("admin/")


def test_every_url_is_in_the_matrix():
    served = {(route, name) for route, name, _ in url_patterns() if not is_admin_site(route)}
    unnamed = sorted(route for route, name in served if not name)
    assert not unnamed, f"name these URL patterns so the matrix can list them: {unnamed}"
    listed = {url.name for url in MATRIX}
    missing = sorted(f"{name} ({route})" for route, name in served if name not in listed)
    assert not missing, f"add these URLs to MATRIX, with who may open them: {missing}"
    gone = sorted(listed - {name for _, name in served})
    assert not gone, f"MATRIX lists URLs that no longer exist: {gone}"


def test_every_matrix_path_resolves_to_its_pattern(world):
    for url in MATRIX:
        path = formatted(url.path, world).split("?")[0]
        assert resolve(path).view_name == url.name, path


# The Django admin: active superusers' alone


ADMIN_SAMPLES = {"app_label": "accounts", "url": "nothing-here/"}
AUTOCOMPLETE = "?app_label=accounts&model_name=developer&field_name=user"


def admin_site_urls() -> list[tuple[str, str]]:
    """(url, name) for every pattern of the admin site, filled with existing objects where it takes one."""
    out = []
    for route, name, pattern in url_patterns():
        if not is_admin_site(route):
            continue
        model_admin = getattr(pattern.callback, "model_admin", None)
        found = model_admin.model.objects.first() if model_admin else None
        values = ADMIN_SAMPLES | {"object_id": found.pk if found else 1, "id": found.pk if found else 1,
                                  "content_type_id": ContentType.objects.get_for_model(Developer).pk}
        params = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)
        kwargs = {key: values[key] for key in (a or b for a, b in params)}
        url = reverse(name, kwargs=kwargs) if name else "/admin/nothing-here/"
        out.append((url + (AUTOCOMPLETE if name == "admin:autocomplete" else ""), name))
    return out


@pytest.mark.parametrize("persona", [ANON, OWNER, OTHER, BILLING, ADMIN])
def test_nobody_but_superusers_gets_into_the_django_admin(world, persona):
    """The admin role too: it keeps org settings, prices and members on costdash's own pages."""
    client, urls = as_persona(world, persona), admin_site_urls()
    assert len(urls) > 50  # every model's pages
    for url, name in urls:
        response = client.get(url)
        if name == "admin:login":
            assert response.status_code == 200, url
        elif name == "admin:logout":  # logging out of a site one is not in: back to its index, then the login
            assert response.status_code == 302 and response["Location"] == "/admin/", url
        else:
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next="), url


def test_superusers_get_into_every_page_of_the_django_admin(world):
    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True))  # not staff: the flag does not matter
    for url, name in admin_site_urls():
        response = client.get(url)
        assert not (response.status_code == 302 and response["Location"].startswith("/admin/login/")), url
        assert response.status_code < 500, url
        if name == "admin:index" or name.endswith("_changelist"):  # every model: superusers may view all
            assert response.status_code == 200, url


def test_a_deactivated_superuser_stays_out(world):
    root = UserFactory(username="root", is_superuser=True, is_active=False)
    client = Client()
    client.force_login(root)  # a session from before the deactivation
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("persona", [BILLING, ADMIN])
def test_a_login_flagged_staff_with_permissions_stays_out(world, persona):
    user = world["users"][persona]
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.all())
    client = Client()
    client.force_login(user)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert client.get("/admin/ingest/ingesttoken/")["Location"].startswith("/admin/login/")


# Pages link only to what their viewer may open


@pytest.mark.parametrize("persona", [OWNER, OTHER, BILLING, ADMIN])
def test_no_link_leads_to_a_refusal(world, persona):
    """The nav (on every page) and the import pages: a link the viewer would get 403 or 404 for is a bug
    (billing once saw "Import files" on the history)."""
    client = as_persona(world, persona)
    links = set()
    for page in ("/", "/imports/", formatted("/imports/{batch}/", world)):
        response = client.get(page)
        if response.status_code == 200:
            links |= set(re.findall(r'href="(/[^"?#]*)', response.content.decode()))
    refused = {link: status for link in sorted(links - {"/logout/"}) if not link.startswith("/static/")
               and (status := client.get(link).status_code) in (403, 404)}
    assert len(links) > 5 and not refused, refused
