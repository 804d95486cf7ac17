"""Run the rules: after a recompute (for the developer-days it wrote) and on the beat's periodic check.

Days older than COSTDASH_ALERT_LOOKBACK_DAYS before the org's today never alert: a backfill of
old history is not news, and the periodic check re-reads that whole window, so an evaluation lost
to a crash after a recompute is made up within one check.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from costdash.accounts.models import OrgSettings
from costdash.lib.dates import reporting_day, zone
from costdash.rollups.models import DeveloperDay

from .kinds import KINDS, Context
from .models import AlertEvent, AlertRule
from .services import events_raise


def evaluation_context(now: datetime | None = None, pairs=None) -> Context:
    now = now or timezone.now()
    org = OrgSettings.get()
    tz = zone(org.time_zone)
    today = reporting_day(now, tz)
    oldest = today - timedelta(days=settings.COSTDASH_ALERT_LOOKBACK_DAYS)
    return Context(now=now, today=today, tz=tz, org=org, oldest=oldest,
                   pairs=None if pairs is None else frozenset(pairs))


def alerts_evaluate(now: datetime | None = None, pairs: set[tuple[int, date]] | None = None) -> list[AlertEvent]:
    """Evaluate every enabled rule (``pairs`` None: the periodic check) or the kinds that read
    developer-days, for ``pairs`` only. Returns the events this call raised (not those that existed)."""
    ctx = evaluation_context(now, pairs)
    by_kind: dict[str, list[AlertRule]] = defaultdict(list)
    for rule in AlertRule.objects.filter(enabled=True).select_related("team", "developer").order_by("pk"):
        kind = KINDS.get(rule.kind)
        if kind is not None and (kind.unit is None or rule.threshold is not None):
            by_kind[rule.kind].append(rule)
    findings = []
    for key, rules in by_kind.items():
        kind = KINDS[key]
        if pairs is None or kind.on_recompute:
            findings.extend(kind.findings(rules, ctx))
    return events_raise(findings)


def alerts_evaluate_recomputed(since: datetime, now: datetime | None = None) -> list[AlertEvent]:
    """Evaluate the developer-days whose rollup was written at or after ``since`` (DeveloperDay.computed_at,
    rebuilt with their DailyCost rows): what a recompute that started then wrote, without being told which days."""
    ctx = evaluation_context(now)
    pairs = set(
        DeveloperDay.objects.filter(day__gte=ctx.oldest, computed_at__gte=since)
        .values_list("developer_id", "day").order_by()
    )
    return alerts_evaluate(now, pairs) if pairs else []
