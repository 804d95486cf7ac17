"""The cache-write split of a DailyCost row counted from an unsplit aggregate source.

Claude Code's OTel metrics, Claude Code Analytics, LiteLLM's daily export and the older Console
usage CSV give cache writes without their 5m/1h split (UsageAggregate.cache_split_known False;
the parser put them all in one class). Where the source also reports its own cost, the split is
solved from it (pricing.split) for each rate unit of the group: its records of one UTC day,
speed, inference geo and Batch flag (rates are per UTC day; cost.usage points share their token
points' time and speed). The outcome is stored (SplitRecovery.units) with the inputs it came
from, and reused while they are unchanged, so a price change reprices the recovered tokens.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timezone
from decimal import Decimal

from costdash.ingest.rows import usage_of
from costdash.pricing.rates import RateTable, cost_of
from costdash.pricing.split import (
    ASSUMED,
    EXACT,
    EXACT_FIGURES,
    RECOVERED,
    WHOLE_CENTS,
    Bucket,
    Split,
    cost_at,
    priced_ends,
    solve,
)

from .models import SplitRecovery

# The sources whose aggregates may hold cache writes without their split: only their DailyCost
# rows can carry a cache_split (pages skip the split queries when none of these is in scope).
UNSPLIT_SOURCES = frozenset({"otel_metrics", "claude_code_analytics", "litellm_daily", "anthropic_usage"})
# How far each source's reported cost may be from the exact price of its requests.
ROUNDING = {"claude_code_analytics": WHOLE_CENTS}  # every other source: EXACT_FIGURES
ROW_FIELDS = ("cache_split_known", "reported_cost", "speed", "inference_geo", "is_batch")
OTHER_TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "web_search_requests")
PLACES = Decimal("1e-12")  # DailyCost.cost's precision


def hides_split(row: dict) -> bool:
    """True for an aggregate row whose cache writes came without their split."""
    return not row["cache_split_known"] and bool(row["cache_write_5m_tokens"] or row["cache_write_1h_tokens"])


def stored_units(developer_id: int, days) -> dict[tuple, dict[str, dict]]:
    """{(day, model, source): {unit key: unit}} of the developer's stored recoveries for ``days``."""
    found = SplitRecovery.objects.filter(developer_id=developer_id, day__in=days)
    return {
        (r.day, r.model, r.source): {u["unit"]: u for u in r.units if isinstance(u, dict) and "unit" in u}
        for r in found.only("day", "model", "source", "units")
    }


def group_split(g: dict, rows: list[dict], stored: dict[str, dict], table: RateTable) -> SplitRecovery:
    """Split the unsplit writes of one DailyCost group ``g`` (the _sums_of_aggregates dict of
    ``rows``, its aggregates): moves its writes between the 5m and 1h sums, sets its cost (the
    recovered units at their split, the others as the parser counted them), ``cache_split`` and
    ``split_bound``; returns the SplitRecovery to store (developer still unset)."""
    units: dict[str, list[dict]] = {}
    for row in rows:
        units.setdefault(_unit_key(row), []).append(row)
    rounding = ROUNDING.get(g["source"], EXACT_FIGURES)
    outcomes, cost, reported = [], Decimal(0), None
    for key, unit_rows in sorted(units.items()):
        unit, unit_cost = _unit(key, unit_rows, g["model"], rounding, stored.get(key), table)
        outcomes.append(unit)
        cost += unit_cost
        if unit["reported"] is not None:
            reported = (reported or Decimal(0)) + Decimal(unit["reported"])
    hidden = [u for u in outcomes if u["writes"]]
    x = sum(u["write_5m"] for u in hidden)
    writes = sum(u["writes"] for u in hidden)
    g["sum_cache_write_5m_tokens"] += x - sum(u["today_5m"] for u in hidden)
    g["sum_cache_write_1h_tokens"] += (writes - x) - sum(u["writes"] - u["today_5m"] for u in hidden)
    g["total_cost"] = cost.quantize(PLACES)
    methods = {u["method"] for u in hidden}
    method = ASSUMED if ASSUMED in methods else RECOVERED if RECOVERED in methods else EXACT
    g["cache_split"], g["split_bound"] = method, sum(u["bound"] for u in hidden)
    reasons = sorted({u["reason"] for u in hidden if u["reason"]})
    return SplitRecovery(
        day=g["local_day"], model=g["model"], source=g["source"], write_5m=x, write_1h=writes - x,
        method=method or ASSUMED, bound_tokens=g["split_bound"], reason="; ".join(reasons)[:500],
        reported_cost=reported, cost=None if g["n_unpriced"] else g["total_cost"], units=outcomes,
    )


def _unit_key(row: dict) -> str:
    """"UTC day|speed|geo|batch": the records of a group that one set of rates prices."""
    utc_day = row["start"].astimezone(timezone.utc).date().isoformat()
    return "|".join((utc_day, (row["speed"] or "").lower(), (row["inference_geo"] or "").lower(),
                     "batch" if row["is_batch"] else ""))


def _unit(key: str, rows: list[dict], model: str, rounding, stored: dict | None, table: RateTable
          ) -> tuple[dict, Decimal]:
    """One rate unit's outcome (JSON for SplitRecovery.units) and its priced cost."""
    bucket, inputs = Bucket(), {f: 0 for f in OTHER_TOKENS}
    today_5m = known_5m = known_1h = 0
    today_cost = Decimal(0)  # the records as stored: the parser's rule, unpriced ones left out
    for row in rows:
        hidden = not row["cache_split_known"]
        writes = row["cache_write_5m_tokens"] + row["cache_write_1h_tokens"] if hidden else 0
        usage = usage_of(_Row(row), model=model)
        if hidden:
            today_5m += row["cache_write_5m_tokens"]
            others = replace(usage, cache_write_5m_tokens=0, cache_write_1h_tokens=0)
            ends = priced_ends(others, writes, row["start"], table)
        else:
            known_5m += row["cache_write_5m_tokens"]
            known_1h += row["cache_write_1h_tokens"]
            ends = (cost_of(usage, row["start"], table),) * 2
        bucket.add(writes, *ends, row["reported_cost"])
        for f in OTHER_TOKENS:
            inputs[f] += row[f]
        today_cost += row["cost"] or 0
    inputs.update(writes=bucket.writes, known_5m=known_5m, known_1h=known_1h, records=len(rows),
                  reporting=bucket.reporting)
    reported = None if bucket.reported is None else str(bucket.reported.normalize())
    if stored and stored.get("method") == RECOVERED and stored.get("inputs") == inputs \
            and stored.get("reported") == reported:
        split = Split(stored["write_5m"], bucket.writes - stored["write_5m"], RECOVERED, stored.get("bound", 0))
    else:
        split = solve(bucket, rounding, (today_5m, bucket.writes - today_5m))
    cost = cost_at(bucket, split.write_5m) if split.method == RECOVERED else today_cost
    return {
        "unit": key, "inputs": inputs, "reported": reported, "writes": bucket.writes, "today_5m": today_5m,
        "write_5m": split.write_5m, "method": split.method, "bound": split.bound_tokens, "reason": split.reason,
    }, cost


class _Row:
    """An aggregate's values() dict read as attributes (rows.usage_of's input)."""

    __slots__ = ("_row",)

    def __init__(self, row: dict):
        self._row = row

    def __getattr__(self, name: str):
        return self._row[name]

