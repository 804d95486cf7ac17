"""How much of a scope's cost rests on cache-write splits that no source gave exactly.

Daily aggregates from sources without the 5m/1h split (rollups.split) are priced from a split
*recovered* from the source's own cost, or, when none could be, *assumed* by the parser's rule.
These reads say where: per source (the Overview's Sources table), per day (a developer's page) and
in total with the share of spend (the monthly report). Rows with an exact split are left out.
"""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

from django.db.models import Count, Q, Sum

from costdash.accounts.models import OrgSettings
from costdash.lib.dates import bucket_day, zone
from costdash.lib.money import ZERO
from costdash.rollups.models import SplitRecovery
from costdash.rollups.scope import Scope
from costdash.rollups.split import ASSUMED, RECOVERED, UNSPLIT_SOURCES

__all__ = ["UNSPLIT_SOURCES", "batch_splits", "cache_splits", "split_days"]

MAX_REASONS = 5  # the most frequent reasons shown per source
MAX_BATCH_GROUPS = 20_000  # an import's unsplit buckets read for its page, at most


def cache_splits(scope: Scope, spend: Decimal | None = None, *, days: bool = True) -> dict:
    """{"recovered": {...}, "assumed": {...}, "by_source": [{...}]} for the scope.

    Each of "recovered" / "assumed" (and each source's) is {"rows", "developer_days", "cost",
    "share"}: DailyCost rows (developer x day x model) so priced, the developer-days holding any,
    their cost, and that cost's share of ``spend`` (the scope's spend; None when not given or 0).
    "by_source" lists, by label, the sources with any such row: {"source", "label", "recovered",
    "assumed", "reasons": [(reason, rows)], the most frequent assumed reasons first}.
    One grouped query, and when it finds rows, one for the reasons and (``days``) one for the
    developer-days (else left 0).
    """
    grouped = (
        scope.daily_costs().exclude(cache_split="").values("source", "cache_split")
        .annotate(rows=Count("pk"), cost=Sum("cost")).order_by()
    )
    totals = {RECOVERED: _empty(), ASSUMED: _empty()}
    by_source: dict[str, dict] = {}
    for row in grouped:
        held = by_source.setdefault(row["source"], {RECOVERED: _empty(), ASSUMED: _empty(), "reasons": []})
        for target in (totals[row["cache_split"]], held[row["cache_split"]]):
            target["rows"] += row["rows"]
            target["cost"] += row["cost"] or ZERO
    if not by_source:
        return {RECOVERED: totals[RECOVERED], ASSUMED: totals[ASSUMED], "by_source": []}
    for method, n in (_developer_days(scope) if days else {}).items():
        totals[method]["developer_days"] = n
    for source, reason, n in _reasons(scope):
        if source in by_source and len(by_source[source]["reasons"]) < MAX_REASONS:
            by_source[source]["reasons"].append((reason, n))
    for part in [*totals.values(), *(h[m] for h in by_source.values() for m in (RECOVERED, ASSUMED))]:
        part["share"] = part["cost"] / spend if spend else None
    from costdash.ingest.models import Source

    labels = dict(Source.choices)
    listed = [{"source": source, "label": labels.get(source, source), **held} for source, held in by_source.items()]
    return {RECOVERED: totals[RECOVERED], ASSUMED: totals[ASSUMED],
            "by_source": sorted(listed, key=lambda row: row["label"])}


def split_days(scope: Scope) -> list[dict]:
    """The scope's SplitRecovery rows, by day then model: [{"day", "model", "source", "method",
    "write_5m", "write_1h", "bound_tokens", "reason", "cost"}] (a developer's page lists them)."""
    rows = SplitRecovery.objects.filter(developer__in=scope.developers, day__gte=scope.since, day__lte=scope.until)
    if scope.model:
        rows = rows.filter(model=scope.model)
    fields = ("day", "model", "source", "method", "write_5m", "write_1h", "bound_tokens", "reason", "cost")
    return list(rows.order_by("day", "model", "source").values(*fields))


def batch_splits(batch_id: int) -> dict | None:
    """How the unsplit cache writes an import stored were split, once its days were recomputed:
    {"recovered", "assumed", "pending", "reasons": [(reason, n)]}, counted in developer-day x model
    x source groups; "pending" are groups not (yet) counted from these aggregates (a recompute
    to come, a day a per-request source covers, an unassigned identity). None: the import stored
    no cache writes without their split."""
    from costdash.ingest.models import UsageAggregate

    hiding = Q(cache_write_5m_tokens__gt=0) | Q(cache_write_1h_tokens__gt=0)
    buckets = (UsageAggregate.objects.filter(hiding, batch_id=batch_id, cache_split_known=False)
               .values_list("developer_id", "start", "width", "model", "source").distinct()[:MAX_BATCH_GROUPS])
    tz = zone(OrgSettings.get().time_zone)
    groups = {(dev, bucket_day(start, width, tz), model, source) for dev, start, width, model, source in buckets}
    if not groups:
        return None
    stored = SplitRecovery.objects.filter(
        developer_id__in={g[0] for g in groups if g[0]}, day__in={g[1] for g in groups}
    ).values_list("developer_id", "day", "model", "source", "method", "reason")
    outcome = {(dev, day, model, source): (method, reason) for dev, day, model, source, method, reason in stored}
    counts, reasons = Counter(), Counter()
    for group in groups:
        method, reason = outcome.get(group, ("pending", ""))
        counts[method] += 1
        if reason:
            reasons[reason] += 1
    return {"recovered": counts[RECOVERED], "assumed": counts[ASSUMED], "pending": counts["pending"],
            "reasons": reasons.most_common(MAX_REASONS)}


def _empty() -> dict:
    return {"rows": 0, "developer_days": 0, "cost": ZERO, "share": None}


def _developer_days(scope: Scope) -> Counter:
    """Developer-days holding a recovered / an assumed split (a day may count under both)."""
    pairs = scope.daily_costs().exclude(cache_split="").values_list("cache_split", "developer_id", "day").distinct()
    return Counter(method for method, _developer, _day in pairs.order_by())


def _reasons(scope: Scope) -> list[tuple[str, str, int]]:
    rows = SplitRecovery.objects.filter(
        developer__in=scope.developers, day__gte=scope.since, day__lte=scope.until, method=ASSUMED
    ).exclude(reason="")
    if scope.model:
        rows = rows.filter(model=scope.model)
    grouped = rows.values("source", "reason").annotate(n=Count("pk")).order_by("-n", "reason")
    return [(row["source"], row["reason"], row["n"]) for row in grouped[:200]]
