"""People pages for admins: identities no one is mapped to, and merging two developers."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from costdash.lib.ids import id_or_400

from . import roles
from .models import Developer, Identity
from .services import developer_by_email, developers_merge, identity_assign


def _require_admin(request) -> None:
    if not roles.is_admin(request.user):
        raise PermissionDenied("Only admins map people.")


@login_required
def unassigned(request):
    """Identities that imported rows named but no developer is mapped to, with their usage."""
    _require_admin(request)
    from costdash.ingest.models import UsageAggregate

    # Daily reports (Admin API, analytics, LiteLLM daily) name people too: their priced spend counts.
    reported = (
        UsageAggregate.objects.filter(identity=OuterRef("pk")).order_by().values("identity")
        .annotate(total=Sum("cost")).values("total")
    )
    money = DecimalField(max_digits=24, decimal_places=12)
    identities = (
        Identity.objects.filter(developer=None)
        .annotate(
            requests=Count("usageevent"),
            spend=Coalesce(Sum("usageevent__cost"), Value(0), output_field=money)
            + Coalesce(Subquery(reported, output_field=money), Value(0), output_field=money),
            unpriced=Count("usageevent", filter=Q(usageevent__cost__isnull=True)),
        )
        .order_by("-spend", "source", "external_id")
    )
    developers = Developer.objects.order_by("email")
    return render(request, "accounts/unassigned.html", {"identities": identities, "developers": developers,
                                                        "loginless": developers_without_login()})


LOGINLESS_SHOWN = 200


def developers_without_login() -> list[Developer]:
    """Developers the usage data names (any daily cost) who have no login: invitable in one click."""
    from costdash.rollups.models import DailyCost

    used = DailyCost.objects.filter(developer=OuterRef("pk"))
    return list(Developer.objects.filter(user=None).filter(Exists(used)).order_by("email")[:LOGINLESS_SHOWN])


@login_required
@require_POST
def identity_map(request, identity_id: int):
    _require_admin(request)
    identity = get_object_or_404(Identity, pk=identity_id)
    email = request.POST.get("email", "")
    try:
        developer = developer_by_email(email)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        moved = identity_assign(identity, developer)
        messages.success(request, f"{identity} is now {developer}: {moved} request(s) moved; days recomputed.")
    return redirect("accounts:unassigned")


@login_required
@require_POST
def developer_merge(request):
    _require_admin(request)
    duplicate = get_object_or_404(Developer, pk=id_or_400(request.POST.get("duplicate"), "duplicate"))
    into = get_object_or_404(Developer, pk=id_or_400(request.POST.get("into"), "into"))
    try:
        moved = developers_merge(duplicate, into)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"Merged into {into}: {moved} request(s) moved; their days are recomputed.")
    return redirect("accounts:unassigned")
