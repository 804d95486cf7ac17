"""File imports over HTTP, for scripts: the API twin of the upload page.

``POST /ingest/files`` with an ingest token of kind "files" (``Authorization: Bearer cdi_…``) and
either a multipart form (``file``, optional ``developer_email`` for Claude Code transcripts) or the
file itself as the body (``?name=spendlogs.csv`` tells its format, ``&developer_email=`` as above).
Any format the upload page takes is accepted, and the import runs like an upload: queued, then
read by the same parsers. The answer is 202 with the batch id and the URL to poll;
``GET /ingest/files/<id>`` (same token) answers the batch's status, counts and first errors.
"""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from costdash.accounts.services import developer_for_email
from costdash.lib.bodies import BodyError, declared_length, raw_pieces

from .batch_summary import public_errors, without_server_paths
from .failed_calls import failed_calls_label
from .forms import ACCEPTED
from .models import ImportBatch, IngestToken, Source
from .receivers import _refuse, _token, rate_refusal
from .services import upload_batch_create

CHUNK = 1024 * 1024
MAX_ERRORS_SHOWN = 20
MAX_NAME = 200


def name_problem(name: str) -> str:
    """Why ``name`` cannot name a stored upload ("" when it can): it is used as a file name on
    disk, so no path, no control characters (NUL included) and not over MAX_NAME characters."""
    if not name.strip():
        return "name the file with ?name= (its extension tells the format), or send multipart 'file'"
    if len(name) > MAX_NAME:
        return f"file name is {len(name):,} characters; the limit is {MAX_NAME}"
    if any(not c.isprintable() for c in name):
        return "file name holds a control character (NUL, newline, ...)"
    if "/" in name or "\\" in name or name.strip() in (".", ".."):
        return "file name must be a name, not a path (no / or \\)"
    return ""


@csrf_exempt
@require_POST
def files_import(request: HttpRequest) -> HttpResponse:
    token = _token(request, IngestToken.Kind.FILES)
    if token is None:
        return _refuse(401, "a valid file-import token is required (Authorization: Bearer cdi_…)")
    if too_many := rate_refusal(token):
        return too_many
    limit = settings.COSTDASH_UPLOAD_MAX_BYTES
    try:
        if request.content_type == "multipart/form-data":
            upload, email = _multipart_upload(request, limit)
        else:
            upload, email = _raw_upload(request, limit), request.GET.get("developer_email", "")
    except BodyError as exc:
        return _refuse(exc.status, str(exc))
    if problem := name_problem(upload.name):
        upload.close()  # a temporary file is deleted on close: nothing is left on disk
        return _refuse(400, problem)
    if not upload.name.lower().endswith(ACCEPTED):
        return _refuse(400, f"{upload.name}: expected one of {', '.join(ACCEPTED)} (name the file with ?name=)")
    if upload.size > limit:
        return _refuse(413, f"{upload.name} is {upload.size:,} bytes; the limit is {limit:,}")
    developer = None
    if email:
        try:
            developer, _ = developer_for_email(email, source=Source.CLAUDE_CODE_JSONL)
        except ValidationError as exc:
            return _refuse(400, f"developer_email: {exc.messages[0]}")
    try:
        batch = upload_batch_create(upload, developer=developer, user=token.created_by, transcripts_only=False)
    finally:
        upload.close()  # a temporary file has been moved into storage: closing tolerates that
    IngestToken.objects.filter(pk=token.pk).update(requests=F("requests") + 1, last_used_at=batch.created_at)
    return JsonResponse(
        {"batch": batch.pk, "status": batch.status, "status_url": reverse("files_import_status", args=[batch.pk])},
        status=202,
    )


def _multipart_upload(request: HttpRequest, limit: int):
    """(the 'file' field, developer_email) of a multipart body; BodyError when there is none."""
    length = declared_length(request)
    if length is None:  # Django reads a multipart body by its length: a chunked one would look empty
        raise BodyError(411, "a multipart body needs a Content-Length (or send the file as the body)")
    if length > limit:
        raise BodyError(413, f"body of {length:,} bytes is over the {limit:,}-byte limit")
    upload = request.FILES.get("file")
    if upload is None:
        raise BodyError(400, "multipart body has no 'file' field")
    return upload, request.POST.get("developer_email", "")


def _raw_upload(request: HttpRequest, limit: int) -> TemporaryUploadedFile:
    """The body (as sent, or chunked) as an uploaded file on disk; BodyError when it cannot be.
    The name is checked first, so a refused one leaves no file behind."""
    name = request.GET.get("name", "").strip()
    if problem := name_problem(name):
        raise BodyError(400, problem)
    upload = TemporaryUploadedFile(name, request.content_type or "application/octet-stream", 0, None)
    size = 0
    try:
        for chunk in raw_pieces(request, limit):
            size += len(chunk)
            upload.write(chunk)
    except BodyError:
        upload.close()
        raise
    if not size:
        upload.close()
        raise BodyError(400, "empty body: expected a usage file")
    upload.size = size
    upload.seek(0)
    return upload


@require_GET
def files_import_status(request: HttpRequest, batch_id: int) -> HttpResponse:
    """A batch this token's owner created: status, progress, counts and the first rejected rows."""
    token = _token(request, IngestToken.Kind.FILES)
    if token is None:
        return _refuse(401, "a valid file-import token is required (Authorization: Bearer cdi_…)")
    if too_many := rate_refusal(token):
        return too_many
    batch = ImportBatch.objects.filter(pk=batch_id, created_by_id=token.created_by_id).first()
    if batch is None or token.created_by_id is None:
        return _refuse(404, f"no import {batch_id} made with this token's owner")
    fields = (
        "status", "source", "label", "progress_percent", "files_read", "files_unchanged", "files_ignored",
        "requests_new", "requests_updated", "duplicates", "conflicts", "skipped_retention", "records_new",
        "records_updated",
        "records_unchanged", "failed_calls", "rejected", "rejected_by_reason", "unpriced_models", "failure",
    )
    body = {name: getattr(batch, name) for name in fields}
    body["failed_calls_label"] = failed_calls_label(batch.failed_calls)  # "N failed calls (not billed)"
    body["errors"] = public_errors(batch)[:MAX_ERRORS_SHOWN]  # file names, never the server's paths
    body["failure"] = without_server_paths(batch.failure, batch)
    return JsonResponse({"batch": batch.pk, **body})
