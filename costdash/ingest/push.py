"""The per-developer transcript push: a receiver for new transcript lines, the page that hands a
developer their own push token and the script, and the script download itself.

The script (static_scripts/costdash_push.py) sends only complete lines that carry usage, since its
last run, in gzip chunks of at most 4 MB; the receiver parses them like an uploaded transcript and
stores them for the token's developer. Sending a line twice is harmless: requests are deduplicated.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from costdash.accounts import roles
from costdash.lib.ids import id_or_400

from .live import ingest_token_create, ingest_token_revoke
from .models import IngestToken, ReceivedBody
from .receivers import _refuse, accepted_body, guarded, receiver_endpoint, take

SCRIPT = Path(__file__).resolve().parent / "static_scripts" / "costdash_push.py"
MAX_FILE_NAME = 300
MAX_REJECTED_SHOWN = 20


@receiver_endpoint
@csrf_exempt
@require_POST
@guarded
def transcripts_push(request: HttpRequest) -> HttpResponse:
    """New lines of one transcript file (JSONL, optionally gzip), stored for the token's developer.

    Answers {"new", "updated", "duplicates", "conflicts", "rejected": [first 20], "rejected_count"}. Bad or cut
    lines are rejected one by one; the good lines of the same body still land.
    """
    accepted, refusal = accepted_body(
        request, IngestToken.Kind.TRANSCRIPTS, "transcript push", "transcript lines (JSONL)"
    )
    if refusal:
        return refusal
    token, (sent, encoding, _) = accepted
    if token.developer_id is None:  # the forms never make one, but the write needs a person
        return _refuse(403, "this push token names no developer; create one on the push page")
    body = take(token, ReceivedBody.Kind.PUSH, sent, encoding, request.content_type or "", _file_name(request))
    if body is None:  # stored, processed in seconds by a worker (ingest.received): counts on the push page
        return JsonResponse({"received": True, "new": 0, "updated": 0, "duplicates": 0, "conflicts": 0,
                             "rejected": [], "rejected_count": 0})
    result = body.live
    return JsonResponse({
        "new": result.new,
        "updated": result.updated,
        "duplicates": result.duplicates,
        "conflicts": result.conflicts,  # requests stored for another developer: not changed (ingest.conflicts)
        "rejected": [r.as_dict() for r in result.rejected[:MAX_REJECTED_SHOWN]],
        "rejected_count": body.rejected_count,
    })


def _file_name(request: HttpRequest) -> str:
    """The sender's name for the file (percent-encoded by the script, as headers are latin-1),
    used only to name rejected lines."""
    raw = request.headers.get("X-Costdash-File", "")
    name = "".join(c for c in unquote(raw) if c.isprintable())  # no NUL or control characters
    return name[:MAX_FILE_NAME] or "pushed transcript"


@login_required
@require_http_methods(["GET", "POST"])
def transcript_push_page(request: HttpRequest) -> HttpResponse:
    """A developer's own push tokens (create, list, revoke) and how to run the script.

    Only the user's own Developer is ever touched: tokens are created for it, and a revoke
    looks the token up among its tokens, so nobody can revoke someone else's.
    """
    if roles.role_of(request.user) == roles.BILLING:
        raise PermissionDenied("Billing users read figures; pushing transcripts is for admins and developers.")
    developer = getattr(request.user, "developer", None)
    created = None
    if request.method == "POST" and developer is not None:
        action = request.POST.get("action")
        if action == "revoke":
            return _revoke_own(request, developer)
        if action != "create":
            return HttpResponse("Unknown action.", status=400)
        name = (request.POST.get("name") or "").strip()[:120] or "Push script"
        token, secret = ingest_token_create(
            name=name, kind=IngestToken.Kind.TRANSCRIPTS, developer=developer, user=request.user
        )
        created = {"token": token, "secret": secret}  # rendered in this response only, never stored
    origin = request.build_absolute_uri("/").rstrip("/")
    return render(request, "ingest/push.html", {
        "developer": developer,
        "tokens": _own_tokens(developer) if developer else [],
        "created": created,
        "origin": origin,
        "token_shown": created["secret"] if created else "cdi_…",
    })


def _own_tokens(developer):
    return IngestToken.objects.filter(developer=developer, kind=IngestToken.Kind.TRANSCRIPTS)


def _revoke_own(request: HttpRequest, developer) -> HttpResponse:
    """Revoke one of this developer's push tokens; any other id is simply not found."""
    token_id = id_or_400(request.POST.get("token_id"), "token_id")  # "²" passes isdigit() and fails int()
    token = _own_tokens(developer).filter(pk=token_id).first()
    if token is None:
        raise Http404("No such push token of yours.")
    ingest_token_revoke(token)
    messages.success(request, f"{token} is revoked: scripts using it are refused from now on.")
    return redirect(request.path)


@require_GET
def transcript_push_script(request: HttpRequest) -> HttpResponse:
    """The push script as a download. Public on purpose: it holds no secret, and a developer
    (or a machine's setup script) can fetch it with curl without a browser session."""
    response = HttpResponse(SCRIPT.read_bytes(), content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="costdash_push.py"'
    return response
