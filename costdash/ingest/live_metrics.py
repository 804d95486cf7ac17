"""Live OpenTelemetry metrics: an OTLP/HTTP metrics body written as activity and usage records.

Like the logs path (live.py), the body is stored before the response says so, and the rollup is
queued for after the commit. Cumulative points are turned into what they add in the same
transaction as the records they become (metric_series), so a body is counted once or not at all.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from costdash.accounts.models import OrgSettings
from costdash.accounts.services import IdentityMap
from costdash.pricing.services import rate_table
from costdash.rollups.tasks import daily_cost_recompute_soon

from . import metric_series
from .aggregates import records_write
from .models import IngestToken
from .parsers import otel_metrics
from .parsers.base import Rejected
from .parsers.otel_metrics import CumulativePoint


@dataclass
class LiveMetricsResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    ignored: Counter = field(default_factory=Counter)  # data points not used, by reason


def live_metrics_write(token: IngestToken, body: dict, where: str) -> LiveMetricsResult:
    """Store the Claude Code data points of one decoded ExportMetricsServiceRequest; bad points
    are in ``rejected`` (the good ones still land). Counted on the token: one body, its new
    records (as ``events_new``) and its rejected points."""
    result = LiveMetricsResult()
    records = []
    for item in otel_metrics.records_from_metrics_body(body, where, ignored=result.ignored):
        if isinstance(item, Rejected):
            result.rejected.append(item)
        else:
            records.append((otel_metrics.SOURCE, item))
    identities = IdentityMap()
    people = (item.record if isinstance(item, CumulativePoint) else item for _, item in records)
    identities.prefetch(otel_metrics.SOURCE, {p.identity or p.email for p in people})
    with transaction.atomic():
        written = records_write(
            metric_series.increases(records), batch_id=None, identities=identities, table=rate_table(),
            tz=OrgSettings.get().time_zone,
        )
        IngestToken.objects.filter(pk=token.pk).update(
            requests=F("requests") + 1, events_new=F("events_new") + written.new,
            rejected=F("rejected") + len(result.rejected), last_used_at=timezone.now(),
        )
        daily_cost_recompute_soon()
    result.new, result.updated, result.unchanged = written.new, written.updated, written.unchanged
    return result
