"""Live ingestion: ingest tokens, and writing records that arrive over HTTP.

Receivers write in the request's own transaction, so an accepted body is in the database
before the response says so; Celery only recomputes rollups afterwards (and the beat sweep
catches that if Redis is down), so nothing accepted is lost without Redis.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
import hashlib
import secrets

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from costdash.accounts.models import OrgSettings
from costdash.accounts.services import IdentityMap
from costdash.pricing.services import rate_table
from costdash.rollups.tasks import daily_cost_recompute_soon

from .import_run import entries_write
from .models import IngestToken, Source
from .parsers.base import ParsedRequest, Rejected
from .rows import Entry, RowBuilder, keep_largest

TOKEN_PREFIX = "cdi_"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def ingest_token_create(*, name: str, kind: str, developer=None, user=None) -> tuple[IngestToken, str]:
    """A new token and its secret, which is not stored and cannot be shown again."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = IngestToken.objects.create(
        name=name, kind=kind, developer=developer, created_by=user, prefix=raw[:10], digest=_digest(raw)
    )
    return token, raw


def ingest_token_check(raw: str, kind: str) -> IngestToken | None:
    """The active token of this kind that ``raw`` is, or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    return IngestToken.objects.filter(digest=_digest(raw), kind=kind, revoked_at=None).first()


def ingest_token_revoke(token: IngestToken) -> None:
    IngestToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())


@dataclass
class LiveResult:
    new: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def live_records_write(token: IngestToken, source: str, items: Iterable[ParsedRequest | Rejected]) -> LiveResult:
    """Price and store records that arrived live; rows name their people (a push token's
    transcripts belong to its developer). Counted on the token."""
    builder = RowBuilder(
        batch_id=None, table=rate_table(), tz_name=OrgSettings.get().time_zone,
        copy_text=connection.vendor == "postgresql",
    )
    identities, pending, result = IdentityMap(), {}, LiveResult()
    items = list(items)
    if source != Source.CLAUDE_CODE_JSONL:
        identities.prefetch(source, {item.identity or item.email for item in items if not isinstance(item, Rejected)})
    for item in items:
        if isinstance(item, Rejected):
            result.rejected.append(item)
            continue
        if source == Source.CLAUDE_CODE_JSONL:
            identity_id, developer_id = token_identity(token), token.developer_id
        else:
            identity_id, developer_id = identities.resolve(source, item.identity, item.email)
        entry: Entry = builder.entry_for(item, source, developer_id, identity_id)
        keep_largest(pending, item.dedupe_key, entry)
    with transaction.atomic():
        written = entries_write(pending)
        IngestToken.objects.filter(pk=token.pk).update(
            requests=F("requests") + 1, events_new=F("events_new") + written.inserted,
            rejected=F("rejected") + len(result.rejected), last_used_at=timezone.now(),
        )
        daily_cost_recompute_soon()
    result.new, result.updated, result.duplicates = written.inserted, written.updated, written.duplicates
    return result


def token_identity(token: IngestToken) -> int | None:
    """The transcript identity of a push token's developer."""
    from costdash.accounts.services import developer_for_email

    return developer_for_email(token.developer.email, source=Source.CLAUDE_CODE_JSONL)[1].pk
