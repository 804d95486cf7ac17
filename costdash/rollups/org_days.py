"""OrgDailyCost and OrgHourlyCost: DailyCost summed over every developer per (day, model, source), and
HourlyCost per (day, hour), rebuilt for given days.

Rebuilt, never incremented, from the committed DailyCost rows of those days, after the recompute that
changed them. Two workers refreshing the same day take turns (a transaction-level advisory lock on
PostgreSQL; SQLite writes one at a time anyway), and each reads DailyCost after its own recompute
committed, so the last refresh of a day sees every developer's rows of it.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import Floor

from .models import DailyCost, DeveloperDay, HourlyCost, OrgDailyCost, OrgDayBin, OrgDaySources, OrgHourlyCost

SUMMED = (
    "input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens",
    "web_search_requests", "requests", "unpriced_requests", "cost",
)
HOURLY_SUMMED = ("requests", "unpriced_requests", "cost")
LOCK_KEY = 0x0C05D0A9  # pg_advisory_xact_lock: one OrgDailyCost refresh at a time
DAYS_PER_STATEMENT = 31


def org_days_refresh(days: Iterable[date]) -> int:
    """Rebuild the OrgDailyCost, OrgHourlyCost, OrgDayBin and OrgDaySources rows of ``days``, and chargeback's
    OrgProjectDay and OrgProjectMonth (chargeback.org_projects); returns the OrgDailyCost rows written."""
    from costdash.chargeback.org_projects import org_projects_refresh  # chargeback builds on rollups

    days = sorted(set(days))
    written = 0
    for i in range(0, len(days), DAYS_PER_STATEMENT):
        chunk = days[i : i + DAYS_PER_STATEMENT]
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            OrgDailyCost.objects.filter(day__in=chunk).delete()
            grouped = (
                DailyCost.objects.filter(day__in=chunk).values("day", "model", "source")
                .annotate(**{f"sum_{f}": Sum(f) for f in SUMMED}).order_by()
            )
            rows = [
                OrgDailyCost(day=g["day"], model=g["model"], source=g["source"],
                             **{f: g[f"sum_{f}"] or 0 for f in SUMMED})
                for g in grouped
            ]
            OrgDailyCost.objects.bulk_create(rows, batch_size=1000)
            written += len(rows)
            OrgHourlyCost.objects.filter(day__in=chunk).delete()
            hours = (
                HourlyCost.objects.filter(day__in=chunk).values("day", "hour")
                .annotate(**{f"sum_{f}": Sum(f) for f in HOURLY_SUMMED}).order_by()
            )
            OrgHourlyCost.objects.bulk_create(
                [OrgHourlyCost(day=g["day"], hour=g["hour"], **{f: g[f"sum_{f}"] or 0 for f in HOURLY_SUMMED})
                 for g in hours],
                batch_size=1000,
            )
            _counts_replace(chunk)
            org_projects_refresh(chunk)
    return written


def _counts_replace(days: list[date]) -> None:
    """OrgDayBin and OrgDaySources of ``days`` from their DeveloperDay rows."""
    OrgDayBin.objects.filter(day__in=days).delete()
    bins = (
        DeveloperDay.objects.filter(day__in=days, active=True).annotate(half=Floor(F("cost") * 2))
        .values("day", "half").annotate(n=Count("pk")).order_by()
    )
    OrgDayBin.objects.bulk_create(
        [OrgDayBin(day=g["day"], half=int(g["half"]), developer_days=g["n"]) for g in bins], batch_size=1000)
    OrgDaySources.objects.filter(day__in=days).delete()
    sources = DeveloperDay.objects.filter(day__in=days).values("day", "sources").annotate(n=Count("pk")).order_by()
    OrgDaySources.objects.bulk_create(
        [OrgDaySources(day=g["day"], sources=g["sources"], developer_days=g["n"]) for g in sources], batch_size=1000)


def org_days_rebuild() -> int:
    """Every day with rows in any of the org's tables (or what they are built from), rebuilt."""
    from costdash.chargeback.org_projects import org_project_days  # chargeback builds on rollups

    days = set(DailyCost.objects.values_list("day", flat=True).distinct().order_by())
    days.update(OrgDailyCost.objects.values_list("day", flat=True).distinct().order_by())
    days.update(HourlyCost.objects.values_list("day", flat=True).distinct().order_by())
    days.update(OrgHourlyCost.objects.values_list("day", flat=True).distinct().order_by())
    days.update(DeveloperDay.objects.values_list("day", flat=True).distinct().order_by())
    days.update(OrgDayBin.objects.values_list("day", flat=True).distinct().order_by())
    days.update(org_project_days())
    return org_days_refresh(days)


def developer_deleting(sender, instance, **kwargs) -> None:
    """pre_delete of a Developer: their DailyCost rows go with them (cascade), so the org's rows of their
    days are rebuilt once the deletion commits."""
    days = list(DailyCost.objects.filter(developer=instance).values_list("day", flat=True).distinct().order_by())
    if days:
        transaction.on_commit(lambda: org_days_refresh(days))
