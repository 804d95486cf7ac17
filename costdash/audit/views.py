"""The Audit trail page: admins only. Filters (who, what kind, which change, org-local days), 50 a page,
each entry's before and after as a table."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from costdash.accounts import roles
from costdash.accounts.models import OrgSettings
from costdash.lib.dates import zone

from .forms import AuditFilterForm
from .selectors import audit_entries, change_rows, event_name, kind_name

PAGE_SIZE = 50


@login_required
def audit_list(request):
    roles.require_admin(request.user, "Only admins read the audit trail.")
    form = AuditFilterForm(request.GET or None)
    page = Paginator(audit_entries(form.audit_filter()), PAGE_SIZE).get_page(request.GET.get("page"))
    entries = [{"entry": entry, "kind": kind_name(entry), "event": event_name(entry), "rows": change_rows(entry)}
               for entry in page]
    query = request.GET.copy()
    query.pop("page", None)
    time_zone = OrgSettings.get().time_zone
    with timezone.override(zone(time_zone)):  # times in the org's zone, as the day filters read them
        return render(request, "audit/list.html", {"form": form, "page": page, "entries": entries,
                                                   "query": query.urlencode(), "time_zone": time_zone})
