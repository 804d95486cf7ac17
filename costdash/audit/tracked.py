"""What the audit trail follows: the models people change (settings, roles, tokens, prices...), never the
ones the system fills (usage events, rollups, alerts raised, pushes, cursors). A model not registered here costs
nothing on save: auditlog connects its receivers per model.

Secrets are never written. A stored secret (a channel's settings, an Admin API key, the LiteLLM master key) is
recorded only as "changed" (SECRET), and only when its plain text changed (saving re-encrypts it with a new
nonce, so the ciphertext changes on every save); token digests and password hashes are left out, a password
change is recorded as "changed". System-kept fields (last used, last error, counters) are left out, so the
system touching them writes no entry.
"""
from __future__ import annotations

from auditlog.registry import auditlog
from auditlog.signals import post_log
from django.apps import apps

SECRET = "(secret: changed)"
SECRET_UNSET = ""
MASK = "costdash.audit.tracked.secret_mask"

STAMPS = ["created_at", "updated_at"]

# app_label.Model -> auditlog.register() options. A model of an app not installed (yet) is skipped.
TRACKED: dict[str, dict] = {
    # Roles and members: the login (its role groups are recorded by costdash.audit.groups).
    "auth.User": {"include_fields": ["username", "email", "first_name", "last_name", "is_active", "is_staff",
                                     "is_superuser", "password"], "mask_fields": ["password"]},
    "auth.Group": {"include_fields": ["name"]},
    "accounts.Team": {},
    "accounts.Developer": {"exclude_fields": ["created_at"]},
    "accounts.Identity": {"exclude_fields": ["first_seen"]},
    "accounts.OrgSettings": {"exclude_fields": ["updated_at"]},
    "limits.SpendLimit": {"exclude_fields": STAMPS + ["created_by", "updated_by"]},
    "budgets.Budget": {"exclude_fields": STAMPS + ["created_by", "updated_by"]},
    "budgets.LiteLLMConnection": {"exclude_fields": ["updated_at", "updated_by"], "mask_fields": ["key_ciphertext"]},
    "alerts.AlertRule": {"exclude_fields": STAMPS + ["owner"], "m2m_fields": {"channels"}},
    "alerts.Channel": {"exclude_fields": STAMPS + ["created_by", "last_error", "last_error_at", "last_success_at"],
                       "mask_fields": ["config_ciphertext"]},
    "ingest.IngestToken": {"exclude_fields": ["digest", "created_at", "created_by", "last_used_at", "requests",
                                              "events_new", "rejected"]},
    "api.ApiToken": {"exclude_fields": ["digest", "created_at", "last_used_at"]},
    "connectors.AdminApiConnection": {
        "exclude_fields": STAMPS + ["last_run_at", "last_success_at", "last_error", "running_since"],
        "mask_fields": ["key_ciphertext"]},
    "pricing.ModelPrice": {},
    "planning.PlanPrice": {},
    "ratelimits.OrgRateLimit": {"exclude_fields": ["updated_at", "updated_by"]},
    "ratelimits.RateRecommendation": {},
    "reports.MonthClose": {"include_fields": ["month", "note", "closed_by", "closed_at", "reopened_by",
                                              "reopened_at"]},
    "chargeback.ProjectAlias": {"exclude_fields": ["updated_at"]},
    "chargeback.ChargebackRule": {"exclude_fields": ["updated_at"]},
    "sso.GroupRoleMapping": {"exclude_fields": ["updated_at"]},
}

# Encrypted fields: (app_label.Model, field) -> compared by plain text, recorded as SECRET.
ENCRYPTED = {("alerts.Channel", "config_ciphertext"), ("connectors.AdminApiConnection", "key_ciphertext"),
             ("budgets.LiteLLMConnection", "key_ciphertext")}
# Fields shown under a plainer name on the page and in the API.
LABELS = {"config_ciphertext": "settings", "key_ciphertext": "key", "password": "password"}


def secret_mask(value: str) -> str:
    """auditlog's mask for secret fields: whether one is set, never any of it."""
    return SECRET_UNSET if value in ("", "None") else SECRET


def tracked_models() -> list:
    """The registered models that are installed, in TRACKED's order."""
    found = []
    for label in TRACKED:
        try:
            found.append(apps.get_model(label))
        except LookupError:
            continue
    return found


def register_all() -> None:
    from . import groups

    for model in tracked_models():
        options = dict(TRACKED[model._meta.label])
        if options.get("mask_fields"):
            options["mask_callable"] = MASK
        existing = {f.name for f in model._meta.get_fields()}
        for key in ("include_fields", "exclude_fields", "mask_fields"):
            if key in options:
                options[key] = [name for name in options[key] if name in existing]
        if "m2m_fields" in options:
            # Recorded by groups.py's receiver (only a person's changes), not auditlog's (which records all).
            groups.follow_m2m(model, options.pop("m2m_fields"))
        auditlog.register(model, **options)
    groups.follow_user_groups()
    post_log.connect(_drop_unchanged_secrets, dispatch_uid="costdash_audit_drop_unchanged_secrets")


def _plain(instance, field: str) -> str | None:
    from costdash.lib.encryption import SecretUnreadable, secret_decrypt

    value = getattr(instance, field, "") or ""
    if not value:
        return ""
    try:
        return secret_decrypt(value)
    except SecretUnreadable:
        return None  # unreadable: treat as changed


def _drop_unchanged_secrets(sender, instance, instance_old, log_entry, changes, **kwargs):
    """A re-encrypted but unchanged secret is no change: take it out of the entry (and drop an entry left
    empty)."""
    if log_entry is None or instance_old is None or not changes:
        return
    label = sender._meta.label
    unchanged = [field for field in changes if (label, field) in ENCRYPTED
                 and _plain(instance_old, field) is not None
                 and _plain(instance_old, field) == _plain(instance, field)]
    if not unchanged:
        return
    remaining = {field: value for field, value in log_entry.changes.items() if field not in unchanged}
    if remaining:
        log_entry.changes = remaining
        log_entry.save(update_fields=["changes"])
    else:
        log_entry.delete()
