"""Template context for every page: the viewer's role, so the layout can show role-only links, and the
filters in force on a dashboard page, so its nav links keep them."""
from urllib.parse import urlencode

from costdash.accounts import roles

from .filters import DashboardFilterForm


def role(request) -> dict:
    """`user_role` ("admin" | "billing" | "developer" | None) and `user_is_admin` (bool)."""
    user = getattr(request, "user", None)
    current = roles.role_of(user) if user is not None else None
    return {"user_role": current, "user_is_admin": current == roles.ADMIN}


def filter_query(request) -> dict:
    """`filter_query`: on a dashboard page, the shared filter bar's fields as chosen in the URL (dates,
    team, developer, model...) as a query string, so the nav's links to the other dashboard pages keep
    the filters in force (each page checks them again); "" anywhere else."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.app_name != "dashboard":
        return {"filter_query": ""}
    names = DashboardFilterForm.base_fields
    return {"filter_query": urlencode([(k, v) for k, v in request.GET.items() if k in names and v])}
