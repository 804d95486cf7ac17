"""What an import page says about a batch: where its usage landed, and its messages without server paths.

``batch_landing`` reads the rows the batch wrote (its requests and daily buckets), filtered by the
batch and, for an import for one developer, through the (developer, timestamp) index. A finished
batch's answer is cached: an import page is opened a few times, not on every dashboard view.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Min, Q, Sum

from costdash.accounts.models import Developer, OrgSettings
from costdash.lib.dates import reporting_day

from .models import ImportBatch, UsageAggregate, UsageEvent

MAX_RANGE_DAYS = 366  # the filter bar's longest range (dashboard.filters.MAX_DAYS)
CACHE_SECONDS = 3600


def _sums(rows, time_field: str) -> dict:
    return rows.aggregate(first=Min(time_field), last=Max(time_field), spend=Sum("cost"), n=Count("pk"),
                          unpriced=Count("pk", filter=Q(cost__isnull=True)))


def batch_landing(batch: ImportBatch) -> dict | None:
    """{first_day, last_day (org days), cost (priced rows' Decimal), unpriced (rows without a price),
    rows, developers [Developer]} of what ``batch`` wrote and still owns; None when nothing (or
    while it runs). A request a later import replaced with a larger copy counts there."""
    if batch.status not in (ImportBatch.Status.DONE, ImportBatch.Status.FAILED):
        return None
    key = f"costdash:batch-landing:{batch.pk}:{batch.finished_at.timestamp() if batch.finished_at else 0}"
    found = cache.get(key)
    if found is None:
        found = _landing(batch)
        cache.set(key, found, CACHE_SECONDS)
    return found or None


def _landing(batch: ImportBatch) -> dict:
    events = UsageEvent.objects.filter(batch=batch)
    buckets = UsageAggregate.objects.filter(batch=batch)
    if batch.developer_id:
        events = events.filter(developer_id=batch.developer_id)  # the (developer, timestamp) index
    parts = [s for s in (_sums(events, "timestamp"), _sums(buckets, "start")) if s["n"]]
    if not parts:
        return {}
    tz = OrgSettings.get().time_zone
    ids = set(events.values_list("developer_id", flat=True).distinct()) | set(
        buckets.values_list("developer_id", flat=True).distinct())
    return {
        "first_day": reporting_day(min(p["first"] for p in parts), tz),
        "last_day": reporting_day(max(p["last"] for p in parts), tz),
        "cost": sum((p["spend"] for p in parts if p["spend"] is not None), start=Decimal(0)),
        "unpriced": sum(p["unpriced"] for p in parts),
        "rows": sum(p["n"] for p in parts),
        "developers": list(Developer.objects.filter(pk__in=ids - {None}).order_by("name", "email")),
        "unassigned": None in ids,
    }


def landing_query(landing: dict) -> str:
    """since/until covering what landed (the last MAX_RANGE_DAYS of it when it spans more)."""
    since = max(landing["first_day"], landing["last_day"] - timedelta(days=MAX_RANGE_DAYS - 1))
    return f"since={since.isoformat()}&until={landing['last_day'].isoformat()}"


def _path_names(batch: ImportBatch) -> list[tuple[str, str]]:
    """(server path, what to show instead), longest first: the stored upload is its uploaded name."""
    names = []
    if batch.upload:
        shown = batch.label or Path(batch.upload.name).name
        names.append((str(Path(batch.upload.path)), shown))
        names.append((Path(batch.upload.name).name + ":", shown + ":"))  # an archive's member: archive:member
    names.append((str(Path(settings.MEDIA_ROOT)) + "/", ""))
    return names


def without_server_paths(text: str, batch: ImportBatch) -> str:
    """``text`` with the server's own paths (the stored upload, the media folder) replaced by the
    upload's name: a message never shows where costdash keeps files."""
    for path, name in _path_names(batch):
        text = text.replace(path, name)
    return text


def public_errors(batch: ImportBatch) -> list[dict]:
    """The batch's stored rejected lines, their file names without server paths."""
    return [e | {"file": without_server_paths(str(e.get("file", "")), batch)} for e in batch.errors]
