"""Optional enforcement: a developer's or a team's budget set as that user's or team's budget in a
LiteLLM proxy, through its management API, and taken off again. Off unless
COSTDASH_LITELLM_ENFORCEMENT is on.

The calls, as LiteLLM's proxy implements them (litellm/proxy/management_endpoints/
internal_user_endpoints.py and team_endpoints.py), with the master key as a Bearer token:

- ``POST /user/update`` ``{"user_id": ..., "max_budget": 50.0, "budget_duration": "1mo"}``: answered
  ``{"user_id": ..., "data": {...the user row...}}``. LiteLLM upserts: an unknown user_id is created.
- ``POST /team/update`` ``{"team_id": ..., "max_budget": 50.0, "budget_duration": "7d"}``: answered
  ``{"team_id": ..., "data": {...}}``; an unknown team is a 404.
- Removing sends ``"max_budget": null`` (LiteLLM applies an explicit null to max_budget; it ignores a
  null budget_duration, so the old duration stays but limits nothing without a budget).
- Errors come back as ``{"error": {"message", "type", "param", "code"}}`` (ProxyException) or
  ``{"detail": {"error": ...}}`` (HTTPException); a bad master key is a 401.

Periods map to LiteLLM's durations "1d", "7d" and "1mo". LiteLLM resets a user budget at the next
midnight, Monday or 1st in its own ``litellm_settings.timezone`` (UTC unless set), and counts only
the spend that goes through it: set that time zone to the org's so the periods line up.

Every call is a BudgetPush row: when, what was sent (never the key), LiteLLM's answer or the error.
The key is never shown or logged: it is scrubbed from any answer before that is stored.
"""
from __future__ import annotations

import json
import logging

from django.conf import settings

from costdash.lib.encryption import SecretUnreadable
from costdash.lib.http import HttpError, http_post

from .models import Budget, BudgetPush, LiteLLMConnection

log = logging.getLogger(__name__)

DURATIONS = {"day": "1d", "week": "7d", "month": "1mo"}
RESPONSE_KEPT = 2000
TIMEOUT_SECONDS = 15
LITELLM_SOURCES = ("litellm", "litellm_spendlogs", "litellm_payload", "litellm_daily")
ENFORCED, CHANGED, FAILED, REMOVED = "enforced", "changed", "failed", "removed"


class EnforcementOff(Exception):
    """COSTDASH_LITELLM_ENFORCEMENT is off, or the budget cannot be enforced (a default budget)."""


def enforcement_enabled() -> bool:
    return bool(getattr(settings, "COSTDASH_LITELLM_ENFORCEMENT", False))


def connection() -> LiteLLMConnection | None:
    return LiteLLMConnection.objects.order_by("pk").first()


def litellm_target(budget: Budget) -> tuple[str, str, str]:
    """(endpoint, id field, id) LiteLLM knows the budget's subject by. A developer: ``litellm_id``,
    else the one LiteLLM user id costdash has seen for them, else their e-mail. A team: ``litellm_id``
    (required: costdash's team names are not LiteLLM's team ids)."""
    if budget.scope == Budget.Scope.TEAM:
        return "/team/update", "team_id", budget.litellm_id.strip()
    if budget.scope != Budget.Scope.DEVELOPER:
        raise EnforcementOff("Only a developer's or a team's budget can be enforced by LiteLLM.")
    if budget.litellm_id.strip():
        return "/user/update", "user_id", budget.litellm_id.strip()
    seen = set(budget.developer.identities.filter(source__in=LITELLM_SOURCES).values_list("external_id", flat=True))
    return "/user/update", "user_id", seen.pop() if len(seen) == 1 else budget.developer.email


def budget_push(budget: Budget, user=None) -> BudgetPush:
    """Set the budget in LiteLLM: its amount as max_budget, its period as budget_duration."""
    endpoint, field, target = _checked_target(budget)
    body = {field: target, "max_budget": float(budget.amount), "budget_duration": DURATIONS[budget.period]}
    return _call(budget, BudgetPush.Action.PUSH, endpoint, target, body, user)


def budget_release(budget: Budget, user=None) -> BudgetPush:
    """Take the budget off in LiteLLM (max_budget null): the user or team spends without a LiteLLM budget."""
    endpoint, field, target = _checked_target(budget)
    return _call(budget, BudgetPush.Action.REMOVE, endpoint, target, {field: target, "max_budget": None}, user)


def _checked_target(budget: Budget) -> tuple[str, str, str]:
    if not enforcement_enabled():
        raise EnforcementOff("Enforcement through LiteLLM is off (COSTDASH_LITELLM_ENFORCEMENT).")
    return litellm_target(budget)


def _call(budget: Budget, action: str, endpoint: str, target: str, body: dict, user) -> BudgetPush:
    push = BudgetPush(budget=budget, budget_label=str(budget)[:300], action=action, endpoint=endpoint,
                      target=target[:200], request=body, created_by=user, period=budget.period,
                      amount=budget.amount if action == BudgetPush.Action.PUSH else None)
    conn = connection()
    key = ""
    try:
        if not target:
            raise _Refused("Name the LiteLLM team_id on the budget first: costdash's team names are not LiteLLM's "
                           "team ids.")
        if conn is None or not conn.key_ciphertext:
            raise _Refused("No LiteLLM proxy is set up: enter its address and master key on the LiteLLM page.")
        key = conn.master_key()
        response = http_post(
            conn.base_url.rstrip("/") + endpoint, json.dumps(body).encode(), timeout=TIMEOUT_SECONDS,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            label=f"{conn.base_url.rstrip('/')}{endpoint}",
        )
        push.status_code = response.status
        text = response.body.decode("utf-8", "replace")
        push.response = _scrub(text, key)[:RESPONSE_KEPT]
        answered = _json(text)
        if not isinstance(answered, dict) or answered.get(body_id(body)) != target:
            push.error = f"LiteLLM answered {response.status} without naming {body_id(body)} {target!r}."
        else:
            push.ok = True
    except _Refused as exc:
        push.error = str(exc)
    except SecretUnreadable as exc:
        push.error = f"The LiteLLM master key: {exc}."
    except HttpError as exc:
        push.status_code = exc.status
        push.response = _scrub(exc.body, key)[:RESPONSE_KEPT]
        push.error = _scrub(_error_text(exc), key)
    push.save()
    if not push.ok:
        log.warning("LiteLLM %s of budget %s failed: %s", action, budget.pk, push.error)
    return push


class _Refused(Exception):
    pass


def body_id(body: dict) -> str:
    return "team_id" if "team_id" in body else "user_id"


def _json(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return None


def _error_text(exc: HttpError) -> str:
    """LiteLLM's own message when its error body has one (error.message, or detail.error), else the call's."""
    answered = _json(exc.body or "")
    message = None
    if isinstance(answered, dict):
        error, detail = answered.get("error"), answered.get("detail")
        if isinstance(error, dict):
            message = error.get("message")
        elif isinstance(detail, dict):
            message = detail.get("error")
        elif isinstance(detail, str):
            message = detail
    status = f"HTTP {exc.status}" if exc.status else "no answer"
    return f"LiteLLM {status}: {message}" if message else str(exc)


def _scrub(text: str, key: str) -> str:
    """``text`` with the master key (and its shortened forms, as LiteLLM echoes them) blotted out."""
    if key:
        text = text.replace(key, "[master key]")
    return text


def enforcement_state(budget: Budget, last: BudgetPush | None) -> str | None:
    """What the latest push says: ENFORCED (LiteLLM holds this amount and period), CHANGED (it holds an
    older amount or period), REMOVED, FAILED (the last call failed: its error says why), or None."""
    if last is None:
        return None
    if not last.ok:
        return FAILED
    if last.action == BudgetPush.Action.REMOVE:
        return REMOVED
    return ENFORCED if (last.amount == budget.amount and last.period == budget.period) else CHANGED
