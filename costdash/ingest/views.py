"""Upload transcripts and follow an import. Admins import for anyone; developers for themselves."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from costdash.accounts import roles
from costdash.accounts.services import developer_for_email
from costdash.rollups.selectors.splits import batch_splits

from .batch_summary import batch_landing, landing_query, public_errors, without_server_paths
from .forms import IngestTokenForm, TranscriptUploadForm
from .live import ingest_token_create, ingest_token_revoke
from .models import ImportBatch, IngestToken, Source
from .selectors import import_batches_visible_to
from .services import upload_batch_create


@login_required
def upload(request):
    role = roles.role_of(request.user)
    if role == roles.BILLING:
        raise PermissionDenied("Billing users read figures; importing is for admins and developers.")
    is_admin = role == roles.ADMIN
    own = getattr(request.user, "developer", None)
    form = TranscriptUploadForm(request.POST or None, request.FILES or None, can_choose_developer=is_admin)
    if request.method == "POST" and form.is_valid():
        # An admin may import any format, naming a developer for transcripts; anyone else imports
        # only their own transcripts.
        email = form.cleaned_data.get("developer_email") if is_admin else (own.email if own else "")
        developer = None
        try:
            if email:
                developer, _ = developer_for_email(email, source=Source.CLAUDE_CODE_JSONL)
        except ValidationError as exc:
            form.add_error("developer_email" if is_admin else None, exc.messages[0])
        if not form.errors and (developer or is_admin):
            batch = upload_batch_create(
                form.cleaned_data["file"], developer=developer, user=request.user, transcripts_only=not is_admin
            )
            # No "queued": the import may be done before the page opens; the page shows its status.
            messages.success(request, f"{batch.label} uploaded as import #{batch.pk}.")
            return redirect("ingest:batch", batch_id=batch.pk)
        if not form.errors:
            form.add_error(None, "Your login is not linked to a developer: name whose transcripts these are.")
    recent = import_batches_visible_to(request.user)[:10]
    return render(
        request, "ingest/upload.html",
        {"form": form, "recent": recent, "can_upload_own": bool(own) or is_admin},
    )


@login_required
def batch_detail(request, batch_id: int):
    batch = get_object_or_404(import_batches_visible_to(request.user), pk=batch_id)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {"status": batch.status, "progress_percent": batch.progress_percent,
             "processed_bytes": batch.processed_bytes, "total_bytes": batch.total_bytes}
        )
    running = batch.status in ("pending", "running")
    splits = None if running else batch_splits(batch.pk)  # how unsplit cache writes were priced (issue 17)
    landing = batch_landing(batch)
    return render(request, "ingest/batch.html", {
        "batch": batch, "running": running, "splits": splits, "landing": landing,
        "landing_query": landing_query(landing) if landing else "",
        "errors": public_errors(batch), "failure": without_server_paths(batch.failure, batch),
    })


@login_required
def history(request):
    """Every import this user may see, newest first, filterable by source and status."""
    batches = import_batches_visible_to(request.user)
    source, status = request.GET.get("source", ""), request.GET.get("status", "")
    if source in Source.values:
        batches = batches.filter(source=source)
    if status in ImportBatch.Status.values:
        batches = batches.filter(status=status)
    page = Paginator(batches, 50).get_page(request.GET.get("page"))
    return render(
        request, "ingest/history.html",
        {"page": page, "sources": Source.choices, "statuses": ImportBatch.Status.choices,
         "source": source, "status": status, "running": any(b.status in ("pending", "running") for b in page)},
    )


@login_required
def tokens(request):
    """Ingest tokens for live sources (admins): create one (its secret is shown once), list, revoke."""
    if not roles.is_admin(request.user):
        raise PermissionDenied("Only admins manage ingest tokens.")
    form = IngestTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        developer = None
        if form.cleaned_data["kind"] == IngestToken.Kind.TRANSCRIPTS:
            developer, _ = developer_for_email(form.cleaned_data["developer_email"], source=Source.CLAUDE_CODE_JSONL)
        token, secret = ingest_token_create(
            name=form.cleaned_data["name"], kind=form.cleaned_data["kind"], developer=developer, user=request.user
        )
        created = {"token": token, "secret": secret}  # rendered once, never stored
        form = IngestTokenForm()
    return render(
        request, "ingest/tokens.html",
        {"form": form, "created": created, "tokens": IngestToken.objects.select_related("developer", "created_by"),
         "origin": request.build_absolute_uri("/").rstrip("/")},
    )


@login_required
@require_POST
def token_revoke(request, token_id: int):
    if not roles.is_admin(request.user):
        raise PermissionDenied("Only admins manage ingest tokens.")
    token = get_object_or_404(IngestToken, pk=token_id)
    ingest_token_revoke(token)
    messages.success(request, f"{token} is revoked: sources using it are refused from now on.")
    return redirect("ingest:tokens")
