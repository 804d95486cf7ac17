"""Template context for every page: the viewer's role, so the layout can show role-only links."""
from costdash.accounts import roles


def role(request) -> dict:
    """`user_role` ("admin" | "billing" | "developer" | None) and `user_is_admin` (bool)."""
    user = getattr(request, "user", None)
    current = roles.role_of(user) if user is not None else None
    return {"user_role": current, "user_is_admin": current == roles.ADMIN}
