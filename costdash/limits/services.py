"""Saving and deleting limits, recording who did it."""
from __future__ import annotations

from django.db import IntegrityError, transaction

from .forms import SpendLimitForm
from .models import ORG_LIMIT_EXISTS, WORKSPACE_LIMIT_EXISTS, SpendLimit


def limit_save(form: SpendLimitForm, user) -> SpendLimit | None:
    """Save a valid form's limit as ``user`` (creator too when it is new). Two admins adding the
    org limit (or one workspace's) at once both pass validation; the database keeps one and the
    other gets the form error the validation would have given: None is returned then."""
    limit = form.save(commit=False)
    if limit.pk is None:
        limit.created_by = user
    limit.updated_by = user
    try:
        with transaction.atomic():
            limit.save()
    except IntegrityError:
        form.add_error(None, ORG_LIMIT_EXISTS if limit.scope == SpendLimit.Scope.ORG else WORKSPACE_LIMIT_EXISTS)
        return None
    return limit
