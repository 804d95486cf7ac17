"""The Connectors page (admins): Admin API connections, their last run, and a "Pull now" button."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from costdash.accounts import roles

from .forms import AdminApiConnectionForm
from .models import AdminApiConnection, AdminApiCursor
from .services import admin_api_pull_enqueue, connection_save, pull_refusal


def _require_admin(request) -> None:
    roles.require_admin(request.user, "Only admins manage connectors.")


@login_required
def connection_list(request):
    _require_admin(request)
    connections = AdminApiConnection.objects.prefetch_related(
        Prefetch("cursors", AdminApiCursor.objects.select_related("last_batch").order_by("endpoint"))
    )
    return render(request, "connectors/list.html", {"connections": connections})


@login_required
def connection_edit(request, connection_id: int | None = None):
    """Create (no id) or edit a connection. The key field is write-only."""
    _require_admin(request)
    connection = get_object_or_404(AdminApiConnection, pk=connection_id) if connection_id else None
    form = AdminApiConnectionForm(request.POST or None, instance=connection)
    if request.method == "POST" and form.is_valid():
        cleared = form.key_cleared
        saved = connection_save(form.save(commit=False), admin_key=form.cleaned_data["admin_key"],
                                changed=form.changed_data)
        messages.success(request, f"{saved} is saved.")
        if cleared:
            messages.warning(request, f"The base URL of {saved} changed, so its stored admin key was cleared: "
                             "edit it and enter the key again before it can pull.")
        return redirect("connectors:list")
    return render(request, "connectors/form.html", {"form": form, "connection": connection})


@login_required
def connection_delete(request, connection_id: int):
    _require_admin(request)
    connection = get_object_or_404(AdminApiConnection, pk=connection_id)
    if request.method == "POST":
        connection.delete()
        messages.success(request, f"{connection} is deleted; the data it pulled stays.")
        return redirect("connectors:list")
    return render(request, "connectors/delete.html", {"connection": connection})


@login_required
@require_POST
def connection_pull(request, connection_id: int):
    _require_admin(request)
    connection = get_object_or_404(AdminApiConnection, pk=connection_id)
    refusal = pull_refusal(connection)
    if refusal:
        messages.error(request, f"{connection} was not pulled. {refusal}")
    elif admin_api_pull_enqueue(connection.pk):
        messages.success(request, f"A pull of {connection} is queued; its imports appear below.")
    else:
        messages.error(request, "The task queue cannot be reached; the scheduled pull will run when it is back.")
    return redirect("connectors:list")
