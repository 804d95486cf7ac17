"""Reads of the API's own: tokens (for their page) and the months a report can be read for."""
from datetime import date

from django.db.models import QuerySet
from django.db.models.functions import TruncMonth

from costdash.accounts import roles
from costdash.rollups.models import DailyCost, DirtyDay

from .models import ApiToken


def api_tokens_visible_to(user) -> QuerySet[ApiToken]:
    """Admins see (and may revoke) every user's tokens; anyone else only their own."""
    tokens = ApiToken.objects.select_related("user")
    return tokens if roles.is_admin(user) else tokens.filter(user=user)


def report_months(today: date) -> list[dict]:
    """The months with any usage, up to ``today``'s, newest first: [{"month" (its first day), "closed"
    (answered from its snapshot), "provisional" (not closed, and not over on ``today`` or with
    developer-days waiting for a recompute)}]. Three queries."""
    from costdash.reports.closing import active_closes

    this_month = today.replace(day=1)
    used = set(DailyCost.objects.filter(day__lte=today).annotate(month=TruncMonth("day"))
               .values_list("month", flat=True).distinct().order_by())
    dirty = set(DirtyDay.objects.annotate(month=TruncMonth("day")).values_list("month", flat=True).distinct()
                .order_by())
    closed = set(active_closes())
    return [{"month": month, "closed": month in closed,
             "provisional": month not in closed and (month >= this_month or month in dirty)}
            for month in sorted(used | closed, reverse=True)]
