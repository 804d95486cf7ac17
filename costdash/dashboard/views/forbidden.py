"""The 403 page (settings' handler403): the site's layout and navigation, and why the page is refused."""
from django.shortcuts import render

DEFAULT_REASON = "Your login's role does not give access to this page."


def forbidden(request, exception=None):
    """Render templates/403.html with status 403. ``reason``: the PermissionDenied's own message
    (views say who may use the page), else DEFAULT_REASON; never a server path or a traceback."""
    reason = str(exception) if exception is not None and str(exception) else DEFAULT_REASON
    return render(request, "403.html", {"reason": reason}, status=403)
