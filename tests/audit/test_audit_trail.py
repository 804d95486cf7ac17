"""The audit trail records every kind of change a person makes, through the pages, the API and the Django
admin, with who, when, what, before and after; no secret is ever in an entry.

Each test makes its changes as a real login through the real views (the actor comes from the request, as in
production) and reads the LogEntry rows back from PostgreSQL. The expected before/after values are the form
values posted and the values the objects held, worked out here, not read from the code under test.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
import json
import re

from auditlog.models import LogEntry
from django.contrib.auth.models import Group, User
from django.test import Client

from costdash.accounts.models import Developer, Identity, OrgSettings, Team
from costdash.alerts.models import AlertRule, Channel
from costdash.api.models import ApiToken
from costdash.budgets.models import Budget, LiteLLMConnection
from costdash.chargeback.models import ChargebackRule, DailyDimensionCost, ProjectAlias
from costdash.connectors.models import AdminApiConnection
from costdash.dashboard.filters import org_today
from costdash.ingest.models import IngestToken
from costdash.limits.models import SpendLimit
from costdash.planning.models import PlanPrice
from costdash.pricing.models import ModelPrice
from costdash.ratelimits.models import OrgRateLimit
from costdash.reports.models import MonthClose
from costdash.reports.selectors import last_month
from costdash.sso.models import GroupRoleMapping
from tests.factories import DailyCostFactory, DeveloperFactory, UserFactory

WEBHOOK_URL = "https://hooks.example.com/services/T0/B0/webhook-path-SECRET-4821"
SIGNING_SECRET = "whsec-signing-SECRET-9f3c2a77d1"
ADMIN_KEY = "sk-ant-admin01-" + "ADMINKEYSECRET" * 3 + "Q7x9"
MASTER_KEY = "sk-litellm-master-MASTERSECRET-0123456789-Zq9w"
SECRET_CHANGED = "(secret: changed)"


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def entries_for(model, **filters):
    from django.contrib.contenttypes.models import ContentType

    return list(LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), **filters)
                .order_by("pk"))


def event(entry) -> str:
    return entry.additional_data["event"]


def everything_recorded() -> str:
    """Every entry's stored text, as one string: what a secret must never be part of."""
    rows = LogEntry.objects.values("object_repr", "changes", "changes_text", "additional_data", "serialized_data",
                                   "actor_email")
    return json.dumps(list(rows), default=str)


def assert_no_secret(*secrets: str) -> None:
    recorded = everything_recorded()
    hashes = [u.password for u in User.objects.all() if u.password]
    digests = [*IngestToken.objects.values_list("digest", flat=True), *ApiToken.objects.values_list("digest", flat=True)]
    ciphertexts = [*Channel.objects.values_list("config_ciphertext", flat=True),
                   *AdminApiConnection.objects.values_list("key_ciphertext", flat=True),
                   *LiteLLMConnection.objects.values_list("key_ciphertext", flat=True)]
    for secret in [*secrets, *hashes, *digests, *ciphertexts]:
        if secret:
            assert secret not in recorded, f"a secret is in the audit trail: {secret[:12]}…"


def test_limits_budgets_and_rate_limits_record_actor_before_and_after(admin_user):
    client = as_user(admin_user)
    assert client.post("/limits/new/", {"scope": "org", "amount": "500", "warning_share": "0.8"}).status_code == 302
    limit = SpendLimit.objects.get()
    assert client.post(f"/limits/{limit.pk}/", {"scope": "org", "amount": "900", "warning_share": "0.8"}
                       ).status_code == 302
    assert client.post(f"/limits/{limit.pk}/delete/").status_code == 302
    created, changed, deleted = entries_for(SpendLimit)
    assert [event(e) for e in (created, changed, deleted)] == ["created", "changed", "deleted"]
    assert all(e.actor == admin_user and e.actor_email == admin_user.email for e in (created, changed, deleted))
    assert created.changes["amount"] == [None, "500.00"] and created.changes["scope"] == [None, "org"]
    assert changed.changes == {"amount": ["500.00", "900.00"]}  # only what changed
    assert deleted.changes["amount"] == ["900.00", None]

    team = DeveloperFactory(email="ana@example.com").team
    assert client.post("/budgets/new/", {"scope": "team", "team": team.pk, "period": "week", "amount": "400",
                                         "alert_shares": "50, 100"}).status_code == 302
    budget = Budget.objects.get()
    assert client.post(f"/budgets/{budget.pk}/", {"scope": "team", "team": team.pk, "period": "month",
                                                  "amount": "1200", "alert_shares": "50, 100"}).status_code == 302
    created, changed = entries_for(Budget)
    assert created.changes["team"] == [None, str(team)] and created.changes["amount"] == [None, "400.00"]
    assert changed.changes == {"period": ["week", "month"], "amount": ["400.00", "1200.00"]}

    assert client.post("/rate-limits/limits/", {"itpm": "400000", "otpm": "80000", "rpm": "2000", "note": "Tier 4"}
                       ).status_code == 302
    assert client.post("/rate-limits/limits/", {"itpm": "450000", "otpm": "80000", "rpm": "2000", "note": "Tier 4"}
                       ).status_code == 302
    rate_entries = entries_for(OrgRateLimit)
    assert rate_entries[-1].changes == {"itpm": [400000, 450000]} and rate_entries[-1].actor == admin_user


def test_a_change_through_the_api_with_a_token_names_the_tokens_login(admin_user):
    from costdash.api.services import api_token_create

    _, raw = api_token_create(user=admin_user, name="ops script")
    team = DeveloperFactory(email="bo@example.com").team
    response = Client().post("/api/v1/budgets/", {"scope": "team", "team": team.pk, "period": "week",
                                                  "amount": "400"}, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 201
    (entry,) = entries_for(Budget)
    assert entry.actor == admin_user and event(entry) == "created" and entry.changes["amount"] == [None, "400.00"]
    assert_no_secret(raw)


def test_alert_rules_and_channels_record_changes_but_never_the_webhook_url_or_secret(
        admin_user, django_capture_on_commit_callbacks):
    client = as_user(admin_user)
    assert client.post("/alerts/channels/new/?kind=webhook", {"name": "Hook", "target": WEBHOOK_URL,
                                                              "signing_secret": SIGNING_SECRET, "enabled": "on"}
                       ).status_code == 302
    hook = Channel.objects.get(name="Hook")
    (created,) = entries_for(Channel)
    assert created.actor == admin_user and created.changes["name"] == [None, "Hook"]
    assert created.changes["config_ciphertext"] == ["", SECRET_CHANGED]  # set, never shown
    # Saved again with the same settings (blank keeps the URL and secret): re-encrypted, but no secret change.
    assert client.post(f"/alerts/channels/{hook.pk}/", {"name": "Ops hook", "target": "", "signing_secret": "",
                                                        "enabled": "on"}).status_code == 302
    renamed = entries_for(Channel)[-1]
    assert renamed.changes == {"name": ["Hook", "Ops hook"]}
    # A new URL: recorded as changed, never the URL.
    new_url = WEBHOOK_URL.replace("4821", "7777")
    assert client.post(f"/alerts/channels/{hook.pk}/", {"name": "Ops hook", "target": new_url, "signing_secret": "",
                                                        "enabled": "on"}).status_code == 302
    moved = entries_for(Channel)[-1]
    assert moved.changes["config_ciphertext"] == [SECRET_CHANGED, SECRET_CHANGED]
    # The routing fields: a team, quiet hours and a digest.
    team = Team.objects.create(name="Platform")
    assert client.post(f"/alerts/channels/{hook.pk}/", {"name": "Ops hook", "target": "", "signing_secret": "",
                                                        "enabled": "on", "team": team.pk, "quiet_start": "22:00",
                                                        "quiet_end": "07:30", "digest": "weekly"}).status_code == 302
    routed = entries_for(Channel)[-1]
    assert routed.changes == {"team": [None, "Platform"], "quiet_start": [None, "22:00:00"],
                              "quiet_end": [None, "07:30:00"], "digest": ["", "weekly"]}

    AlertRule.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):  # the channels' entry is written at commit
        assert client.post("/alerts/rules/new/", {"kind": "projected_ceiling", "threshold": "40", "scope": "org",
                                                  "window_days": "7", "channels": [hook.pk], "enabled": "on"}
                           ).status_code == 302
    rule = AlertRule.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/alerts/rules/{rule.pk}/", {"kind": "projected_ceiling", "threshold": "55",
                                                         "scope": "org", "window_days": "7", "channels": [],
                                                         "enabled": "on"}).status_code == 302
    rule_entries = entries_for(AlertRule)
    assert [event(e) for e in rule_entries if event(e) != "channels changed"] == ["created", "changed"]
    assert [e.changes for e in rule_entries if event(e) == "changed"] == [{"threshold": ["40.00", "55.00"]}]
    links = [e.changes for e in rule_entries if event(e) == "channels changed"]
    assert links == [{"channels": [[], ["Ops hook"]]}, {"channels": [["Ops hook"], []]}]
    assert_no_secret(WEBHOOK_URL, new_url, SIGNING_SECRET, "webhook-path-SECRET")


def test_ingest_and_api_tokens_record_create_and_revoke_never_the_token(admin_user, developer_user):
    client = as_user(admin_user)
    page = client.post("/imports/tokens/", {"name": "collector", "kind": "otlp"}).content.decode()
    token = IngestToken.objects.get()
    ingest_raw = re.search(re.escape(token.prefix) + r"[A-Za-z0-9_\-]+", page).group(0)
    assert len(ingest_raw) > len(token.prefix) + 10  # the whole token was on the page once
    assert client.post(f"/imports/tokens/{token.pk}/revoke/").status_code == 302
    created, revoked = entries_for(IngestToken)
    assert created.actor == admin_user and created.changes["name"] == [None, "collector"]
    assert created.changes["kind"] == [None, "otlp"] and "digest" not in created.changes
    assert event(revoked) == "revoked" and list(revoked.changes) == ["revoked_at"]

    mine = as_user(developer_user)
    page = mine.post("/api/tokens/", {"name": "script"}).content.decode()
    api_token = ApiToken.objects.get()
    api_raw = re.search(re.escape(api_token.prefix) + r"[A-Za-z0-9_\-]+", page).group(0)
    assert client.post(f"/api/tokens/{api_token.pk}/revoke/").status_code == 302  # an admin revokes it
    created, revoked = entries_for(ApiToken)
    assert created.actor == developer_user and created.changes["name"] == [None, "script"]
    assert revoked.actor == admin_user and event(revoked) == "revoked"
    assert_no_secret(ingest_raw, api_raw)


def test_connectors_and_the_litellm_master_key_are_recorded_as_changed_never_shown(admin_user, settings):
    client = as_user(admin_user)
    form = {"name": "Acme", "base_url": "https://api.anthropic.com", "enabled": "on", "pull_usage": "on",
            "pull_cost": "on", "pull_claude_code": "on", "start_date": "2026-04-01", "admin_key": ADMIN_KEY}
    assert client.post("/connectors/new/", form).status_code == 302
    connection = AdminApiConnection.objects.get()
    assert client.post(f"/connectors/{connection.pk}/", {**form, "admin_key": "", "pull_cost": ""}).status_code == 302
    created, changed = entries_for(AdminApiConnection)
    assert created.changes["key_ciphertext"] == ["", SECRET_CHANGED] and created.changes["name"] == [None, "Acme"]
    assert changed.changes == {"pull_cost": [True, False]}  # the key was kept: not a change

    settings.COSTDASH_LITELLM_ENFORCEMENT = True
    assert client.post("/budgets/litellm/", {"base_url": "https://litellm.example.com", "master_key": MASTER_KEY}
                       ).status_code == 302
    (litellm,) = entries_for(LiteLLMConnection)
    assert litellm.changes["key_ciphertext"] == ["", SECRET_CHANGED] and litellm.actor == admin_user
    assert_no_secret(ADMIN_KEY, MASTER_KEY, ADMIN_KEY[15:-4], "MASTERSECRET")


def test_prices_plan_table_and_org_settings_changed_on_their_pages(admin_user):
    client = as_user(admin_user)
    response = client.post("/prices/new/", {
        "model": "claude-test-9", "speed": "standard", "min_input_tokens": "0", "input": "3", "cache_write_5m": "3.75",
        "cache_write_1h": "6", "cache_read": "0.3", "output": "15", "us_multiplier": "1", "confidence": "verified",
        "note": "from the invoice"})
    assert response.status_code == 302, response.content.decode()[:2000]
    (price,) = entries_for(ModelPrice, action=LogEntry.Action.CREATE, object_repr__contains="claude-test-9")
    assert price.actor == admin_user and price.changes["output"] == [None, "15.00"]

    response = client.post("/plans/prices/new/", {
        "plan": "pro", "monthly_price": "25", "effective_from": "2026-12-01", "as_of": "2026-12-01",
        "source": "a quote", "confidence": "verified", "note": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    (plan,) = entries_for(PlanPrice, action=LogEntry.Action.CREATE)
    assert plan.actor == admin_user and plan.changes["monthly_price"] == [None, "25.00"]

    org = OrgSettings.get()
    response = client.post("/settings/", {
        "name": "Acme", "time_zone": "Europe/Berlin", "average_daily_cost": str(org.average_daily_cost),
        "daily_ceiling": str(org.daily_ceiling)})
    assert response.status_code == 302, response.content.decode()[:2000]
    (changed,) = entries_for(OrgSettings, action=LogEntry.Action.UPDATE)
    assert changed.changes == {"name": [org.name, "Acme"], "time_zone": [org.time_zone, "Europe/Berlin"]}
    assert changed.actor == admin_user


def test_a_price_changed_in_the_django_admin_by_a_superuser(django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")
    response = as_user(root).post("/admin/pricing/modelprice/add/", {
        "model": "claude-test-9", "speed": "standard", "min_input_tokens": "0", "input": "3", "cache_write_5m": "3.75",
        "cache_write_1h": "6", "cache_read": "0.3", "output": "15", "us_multiplier": "1", "confidence": "verified",
        "note": "from the invoice"})
    assert response.status_code == 302, response.content.decode()[:2000]
    (price,) = entries_for(ModelPrice, action=LogEntry.Action.CREATE, object_repr__contains="claude-test-9")
    assert price.actor == root and price.changes["output"] == [None, "15.00"]


def test_month_close_and_reopen_are_recorded_with_who(billing_user, admin_user):
    month = last_month(org_today())
    DailyCostFactory(developer=DeveloperFactory(email="ana@example.com"), day=month, cost=Decimal("5.00"))
    assert as_user(billing_user).post("/reports/close/", {"month": f"{month:%Y-%m}", "note": "books"}
                                      ).status_code == 302
    assert as_user(admin_user).post("/reports/reopen/", {"month": f"{month:%Y-%m}", "note": "late import"}
                                    ).status_code == 302
    closed, reopened = entries_for(MonthClose)
    assert (event(closed), closed.actor) == ("month closed", billing_user)
    assert closed.changes["month"] == [None, str(month)] and closed.changes["note"] == [None, "books"]
    assert "report" not in closed.changes and "rates" not in closed.changes  # the snapshot is not copied
    assert (event(reopened), reopened.actor) == ("month reopened", admin_user)
    assert reopened.changes["reopened_by"] == [None, admin_user.username]


def test_identity_mapping_and_developer_merge(admin_user):
    bo = DeveloperFactory(email="bo@example.com", name="Bo")
    cy = DeveloperFactory(email="cy@example.com", name="Cy")
    identity = Identity.objects.create(source="litellm", external_id="key-alias-7")
    client = as_user(admin_user)
    assert client.post(f"/people/identities/{identity.pk}/map/", {"email": "bo@example.com"}).status_code == 302
    (mapped,) = entries_for(Identity, action=LogEntry.Action.UPDATE)
    assert (event(mapped), mapped.actor) == ("identity mapped", admin_user)
    assert mapped.changes == {"developer": [None, str(bo)]}

    assert client.post("/people/merge/", {"duplicate": cy.pk, "into": bo.pk}).status_code == 302
    (merged,) = [e for e in entries_for(Developer) if event(e) == "developers merged"]
    assert merged.actor == admin_user and merged.object_pk == str(bo.pk)
    assert merged.changes["developer"] == [str(cy), str(bo)]
    assert [e.object_repr for e in entries_for(Developer, action=LogEntry.Action.DELETE)] == [str(cy)]


def test_project_aliases_chargeback_rules_and_sso_role_mapping(admin_user):
    DailyDimensionCost.objects.create(developer=DeveloperFactory(email="ana@example.com"), day=org_today(),
                                      model="claude-sonnet-4-6", source="claude_code_jsonl",
                                      project="/srv/checkouts/api", cost=Decimal("1.5"), requests=3)
    client = as_user(admin_user)
    assert client.post("/chargeback/projects/new/", {"repository": "/srv/checkouts/api", "name": "api"}
                       ).status_code == 302
    alias = ProjectAlias.objects.get()
    assert client.post(f"/chargeback/projects/{alias.pk}/", {"repository": "/srv/checkouts/api", "name": "API"}
                       ).status_code == 302
    created, renamed = entries_for(ProjectAlias)
    assert created.changes["repository"] == [None, "/srv/checkouts/api"] and renamed.changes == {"name": ["api", "API"]}

    assert client.post("/chargeback/new/", {"position": "5", "dimension": "tag", "pattern": "team-*",
                                            "cost_center": "CC-A"}).status_code == 302
    rule = ChargebackRule.objects.get()
    assert client.post(f"/chargeback/{rule.pk}/delete/").status_code == 302
    created, deleted = entries_for(ChargebackRule)
    assert created.changes["cost_center"] == [None, "CC-A"] and deleted.changes["cost_center"] == ["CC-A", None]

    assert client.post("/sso/roles/", {"claim_value": "finance", "role": "billing"}).status_code == 302
    mapping = GroupRoleMapping.objects.get()
    assert client.post(f"/sso/roles/{mapping.pk}/", {"role": "admin"}).status_code == 302
    created, changed = entries_for(GroupRoleMapping)
    assert created.changes["claim_value"] == [None, "finance"] and changed.changes == {"role": ["billing", "admin"]}
    assert created.actor == changed.actor == admin_user


def test_members_invite_role_change_and_deactivation(admin_user, django_capture_on_commit_callbacks):
    client = as_user(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/people/members/invite/", {"email": "dee@example.com", "role": "billing",
                                                       "developer": "new"}).status_code == 302
    dee = User.objects.get(username="dee@example.com")
    user_entries = entries_for(User, object_pk=str(dee.pk))
    created = [e for e in user_entries if event(e) == "created"][0]
    assert created.actor == admin_user and created.changes["email"] == [None, "dee@example.com"]
    assert created.changes["password"] == ["", SECRET_CHANGED]  # an unusable one, still never written
    assert [e.changes for e in user_entries if event(e) == "role changed"] == [{"roles": [[], ["billing"]]}]
    linked = [e for e in entries_for(Developer) if event(e) in ("created", "developer linked")]
    assert linked and linked[-1].changes["user"] == [None, dee.username]

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/people/members/{dee.pk}/role/", {"role": "admin"}).status_code == 302
    roles = [e for e in entries_for(User, object_pk=str(dee.pk)) if event(e) == "role changed"]
    assert roles[-1].changes == {"roles": [["billing"], ["admin"]]} and roles[-1].actor == admin_user

    assert client.post(f"/people/members/{dee.pk}/deactivate/").status_code == 302
    assert client.post(f"/people/members/{dee.pk}/reactivate/").status_code == 302
    states = [(event(e), e.changes.get("is_active")) for e in entries_for(User, object_pk=str(dee.pk))
              if event(e) in ("deactivated", "reactivated")]
    assert states == [("deactivated", [True, False]), ("reactivated", [False, True])]
    assert_no_secret()


def test_a_password_change_and_groups_in_the_django_admin(django_user_model, django_capture_on_commit_callbacks):
    admin_user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")
    bo = UserFactory(username="bo", email="bo@example.com")
    billing = Group.objects.get_or_create(name="billing")[0]
    client = as_user(admin_user)
    response = client.post(f"/admin/auth/user/{bo.pk}/password/", {"password1": "n3w-Pa55word!x",
                                                                      "password2": "n3w-Pa55word!x"})
    assert response.status_code == 302, response.content.decode()[:1500]
    (changed,) = [e for e in entries_for(User, object_pk=str(bo.pk)) if event(e) == "password changed"]
    assert changed.changes == {"password": [SECRET_CHANGED, SECRET_CHANGED]} and changed.actor == admin_user
    with django_capture_on_commit_callbacks(execute=True):
        bo.groups.add(billing)  # outside a request and not acting as anyone: the system's, not recorded
    assert not [e for e in entries_for(User, object_pk=str(bo.pk)) if event(e) == "role changed"]
    assert_no_secret("n3w-Pa55word!x")


def test_every_secret_kept_out_while_a_day_of_admin_work_is_recorded(admin_user, billing_user, settings):
    """A sweep: the changes above in one database, then the whole trail's text and the API's answer hold none of
    the secrets (webhook URL, signing secret, Admin API key, master key, tokens, password hashes, digests)."""
    client = as_user(admin_user)
    client.post("/alerts/channels/new/?kind=slack", {"name": "Chat", "target": WEBHOOK_URL, "enabled": "on"})
    client.post("/alerts/channels/new/?kind=webhook", {"name": "Hook", "target": WEBHOOK_URL,
                                                       "signing_secret": SIGNING_SECRET, "enabled": "on"})
    client.post("/connectors/new/", {"name": "Acme", "base_url": "https://api.anthropic.com", "enabled": "on",
                                     "pull_usage": "on", "start_date": "2026-04-01", "admin_key": ADMIN_KEY})
    settings.COSTDASH_LITELLM_ENFORCEMENT = True
    client.post("/budgets/litellm/", {"base_url": "https://litellm.example.com", "master_key": MASTER_KEY})
    pages = client.post("/imports/tokens/", {"name": "collector", "kind": "otlp"}).content.decode()
    pages += client.post("/api/tokens/", {"name": "script"}).content.decode()
    raws = [re.search(re.escape(t.prefix) + r"[A-Za-z0-9_\-]+", pages).group(0)
            for t in (*IngestToken.objects.all(), *ApiToken.objects.all())]
    root = User.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")  # the Django admin's
    response = as_user(root).post(f"/admin/auth/user/{billing_user.pk}/password/",
                                  {"password1": "An0ther-Secret!", "password2": "An0ther-Secret!"})
    assert response.status_code == 302
    assert LogEntry.objects.filter(actor=admin_user).count() >= 6
    assert_no_secret(WEBHOOK_URL, SIGNING_SECRET, ADMIN_KEY, MASTER_KEY, "An0ther-Secret!", *raws)
    api = client.get("/api/v1/audit/?page_size=500").content.decode()
    for secret in (WEBHOOK_URL, SIGNING_SECRET, ADMIN_KEY, MASTER_KEY, *raws):
        assert secret not in api
    page = client.get("/audit/").content.decode()
    for secret in (WEBHOOK_URL, SIGNING_SECRET, ADMIN_KEY, MASTER_KEY, *raws):
        assert secret not in page


def test_entries_are_timestamped_when_made(admin_user):
    from django.utils import timezone

    before = timezone.now()
    as_user(admin_user).post("/limits/new/", {"scope": "org", "amount": "500", "warning_share": "0.8"})
    (entry,) = entries_for(SpendLimit)
    assert before <= entry.timestamp <= timezone.now() + timedelta(seconds=1)
