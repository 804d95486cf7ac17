"""Saving and deleting budgets (recording who did it), the alert rule budgets raise through, and
LiteLLM's address and key."""
from __future__ import annotations

from django.db import IntegrityError, transaction

from costdash.alerts.models import AlertRule

from .enforcement import budget_push, budget_release, enforcement_enabled
from .models import BUDGET_EXISTS, Budget, BudgetPush, LiteLLMConnection

BUDGET_RULE_KIND = "budget_share"


def budget_rule_ensure() -> AlertRule | None:
    """The org-wide "Budget share reached" rule, created with the first budget when there is no rule
    of that kind at all (one an admin disabled or narrowed is left as it is). Returns it if created."""
    if AlertRule.objects.filter(kind=BUDGET_RULE_KIND).exists():
        return None
    return AlertRule.objects.create(kind=BUDGET_RULE_KIND)


def budget_save(form, user) -> Budget | None:
    """Save a valid form's budget as ``user``. Two admins adding the same budget at once both pass
    validation; the database keeps one and the other gets the form error (None is returned)."""
    try:
        return _budget_store(form.save(commit=False), user)
    except IntegrityError:
        form.add_error(None, BUDGET_EXISTS)
        return None


def budget_save_api(serializer, user) -> Budget:
    """Save a valid API serializer's budget as ``user``; IntegrityError when one exists for its subject
    and period."""
    if serializer.instance is None:
        budget = Budget(**serializer.validated_data)
    else:
        budget = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(budget, name, value)
    return _budget_store(budget, user)


def _budget_store(budget: Budget, user) -> Budget:
    """Save (recording who), make sure budget alerts have a rule, and push again a budget LiteLLM holds,
    so it holds the new amount and period."""
    if budget.pk is None:
        budget.created_by = user
    budget.updated_by = user
    with transaction.atomic():
        budget.save()
        budget_rule_ensure()
    if litellm_holds(budget) and enforcement_enabled():
        budget_push(budget, user)
    return budget


def budget_delete(budget: Budget, user) -> BudgetPush | None:
    """Delete a budget; one LiteLLM holds is taken off there first (the attempt is recorded, and
    returned, whether or not it worked)."""
    release = budget_release(budget, user) if litellm_holds(budget) and enforcement_enabled() else None
    budget.delete()
    return release


def litellm_holds(budget: Budget) -> bool:
    """Whether the latest successful call for this budget set it in LiteLLM (and nothing took it off)."""
    if budget.pk is None:
        return False
    last_ok = budget.pushes.filter(ok=True).order_by("-created_at", "-pk").first()
    return last_ok is not None and last_ok.action == BudgetPush.Action.PUSH


def litellm_connection_save(base_url: str, master_key: str, user) -> LiteLLMConnection:
    """Save LiteLLM's address, and its master key when one is given (an empty key keeps the stored
    one, unless the address changed: a key is never sent to a new address it was not entered for)."""
    conn = LiteLLMConnection.objects.order_by("pk").first() or LiteLLMConnection()
    if conn.pk is not None and conn.base_url != base_url and not master_key:
        conn.key_ciphertext, conn.key_hint = "", ""
    conn.base_url = base_url
    if master_key:
        conn.set_master_key(master_key)
    conn.updated_by = user
    conn.save()
    return conn
