"""Writes of the Rate limits page: the org's limits (one row)."""
from __future__ import annotations

from .forms import OrgRateLimitForm
from .models import OrgRateLimit


def org_rate_limit_save(form: OrgRateLimitForm, user) -> OrgRateLimit:
    """Save the org's limits (a valid form bound to OrgRateLimit.get()), recording who changed them."""
    limits = form.save(commit=False)
    limits.updated_by = user
    limits.save()
    return limits
