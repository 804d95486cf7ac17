"""Prompt caching: hit rate, what it saved, and who would save most by raising theirs. Rollups only.

Every figure is over the scope's DailyCost rows (``Scope.daily_costs``, so the model filter applies).

- Hit rate = cache_read / (input + cache_read + cache_write_5m + cache_write_1h), a fraction in
  [0, 1] (Decimal); None where there is no input at all.
- Saved, per model and day (summed per model and rate period, which prices the same): what the
  same tokens would cost if every cache read and cache write were billed as plain input, minus what
  they cost with caching, both at the model's standard rate that day (``repricing``: an estimate;
  recorded costs also hold long-context, fast-mode, Batch and geo surcharges that have nothing to
  do with caching). A cache write costs more than input
  (1.25x for 5 minutes, 2x for an hour), so with little reuse the saving is negative.
- Potential, for a target hit rate T (``target``, else the P75 of the hit rates of the developers
  shown who have input): a developer whose hit rate h is below T reads ``(T - h) x all input``
  more tokens from cache, each moving from the input price to the cache-read price:
  ``potential = sum over their (model, rate period) groups of (T - h) x all_input x (input - cache_read) / 1M``.
  Zero at or above the target.
- Tokens of a model without a price that day are left out of every dollar figure and listed in
  ``unpriced_models`` (never $0); they still count in hit rates, which need no price.

Three queries whatever the scope's size: hit-rate sums per day, the per-developer fold (token sums per
(developer, model, rate period), each priced at its model's rate and summed per developer, in
PostgreSQL; on SQLite the groups are priced in Python), developer names.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import F, Sum

from costdash.lib.money import MTOK, ZERO
from costdash.pricing.rates import RateTable
from costdash.rollups.scope import Scope
from costdash.rollups.thresholds import percentile

from .repricing import Tokens, add, caching_saved, period_sums, period_sums_query, price, rate_changes, standard_rate
from .spend import _names

P75 = Decimal("0.75")


def cache_overview(scope: Scope, table: RateTable, *, target: Decimal | None = None) -> dict:
    """Everything the cache page shows. ``target`` is a fraction in [0, 1] (None: the team's P75).

    Keys:
    - days: [{day, hit_rate, cache_read, all_input}] by day, days with rows only;
    - summary: {tokens (Tokens), hit_rate, saved, uncached, cached (standard-rate cost with caching)};
    - developers: [{developer_id, developer, team, tokens, hit_rate, saved, uncached, cached,
      unpriced_input, extra_reads, potential}] by hit rate (lowest first; no input last), then name;
    - ranking: the developers with a positive potential, largest first;
    - p75, target (the one used), target_is_p75;
    - unpriced_models: [{model, tokens}] models with tokens and no price on some day, most tokens first.
    Dollar figures are None when nothing in them could be priced.
    """
    unpriced: dict[str, int] = {}
    developers = _developers(scope, table, unpriced)
    p75 = percentile([dev["hit_rate"] for dev in developers if dev["hit_rate"] is not None], P75)
    used = p75 if target is None else target
    for dev in developers:
        _add_potential(dev, used)
    ranking = [dev for dev in developers if dev["potential"]]
    ranking.sort(key=lambda dev: (-dev["potential"], dev["developer"].lower(), dev["developer_id"]))
    return {
        "days": _days(scope),
        "summary": _summary(developers),
        "developers": developers,
        "ranking": ranking,
        "p75": p75,
        "target": used,
        "target_is_p75": target is None,
        "unpriced_models": [
            {"model": model, "tokens": n} for model, n in sorted(unpriced.items(), key=lambda item: (-item[1], item[0]))
        ],
    }


def _days(scope: Scope) -> list[dict]:
    """The hit rate per day, from sums grouped by day alone (a hit rate needs no price)."""
    grouped = (
        scope.day_model_costs()
        .values("day")
        .annotate(cache_read=Sum("cache_read_tokens"), all_input=Sum(
            F("input_tokens") + F("cache_write_5m_tokens") + F("cache_write_1h_tokens") + F("cache_read_tokens")))
        .order_by("day")
    )
    return [
        {"day": row["day"], "cache_read": row["cache_read"] or 0, "all_input": row["all_input"] or 0,
         "hit_rate": Decimal(row["cache_read"]) / Decimal(row["all_input"]) if row["all_input"] else None}
        for row in grouped
    ]


def _money_fields(row: dict) -> dict:
    row.update(saved=None, uncached=None, cached=None)
    return row


def _add_money(row: dict, tokens: Tokens, rate, table: RateTable) -> None:
    """Add one priced group's saving, uncached cost and cost with caching to ``row``."""
    cached = price(tokens, rate, table.fees)
    saved = caching_saved(tokens, rate)
    row["saved"] = add(row["saved"], saved)
    row["cached"] = add(row["cached"], cached)
    row["uncached"] = add(row["uncached"], cached + saved)


def _summary(developers: list[dict]) -> dict:
    tokens = sum((dev["tokens"] for dev in developers), Tokens())
    summary = _money_fields({"tokens": tokens, "hit_rate": tokens.hit_rate})
    for dev in developers:
        for key in ("saved", "uncached", "cached"):
            summary[key] = add(summary[key], dev[key])
    return summary


def _developers(scope: Scope, table: RateTable, unpriced: dict[str, int]) -> list[dict]:
    """One row per developer from the (developer, model, rate period) sums, priced per group.
    Adds the tokens of groups without a price to ``unpriced`` (model -> tokens)."""
    if connection.vendor == "postgresql":
        out = _developers_in_database(scope, table, unpriced)
    else:
        out = _developers_in_python(scope, table, unpriced)
    names = _names(set(out))
    for dev in out.values():
        dev["developer"], dev["team"] = names.get(dev["developer_id"], ("?", ""))
        dev["hit_rate"] = dev["tokens"].hit_rate
    return sorted(out.values(), key=_by_hit_rate)


def _developers_in_python(scope: Scope, table: RateTable, unpriced: dict[str, int]) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for row in period_sums(scope, table, ("developer_id", "model")):
        tokens = Tokens.of(row)
        dev = out.setdefault(row["developer_id"], _money_fields(
            {"developer_id": row["developer_id"], "tokens": Tokens(), "unpriced_input": 0, "per_mtok": None}
        ))
        dev["tokens"] += tokens
        rate = standard_rate(table, row["model"], row["period"])
        if rate is None:
            dev["unpriced_input"] += tokens.all_input
            if tokens.total or tokens.web_search:
                model = row["model"] or "(no model)"
                unpriced[model] = unpriced.get(model, 0) + tokens.total
            continue
        _add_money(dev, tokens, rate, table)
        dev["per_mtok"] = add(dev["per_mtok"], tokens.all_input * (rate.input - rate.cache_read))
    return out


# The same fold in PostgreSQL (exact numeric: each group's tokens times its rate, summed per developer,
# then per model for the unpriced groups), so Python reads a row a developer instead of one a
# (developer, model, rate period) group. MTOK as a multiplication: numeric division would round.
_FOLD = """
WITH g AS MATERIALIZED ({groups}),
r (model, period, input, cw5, cw1, cr, output) AS ({rates}),
p AS (
    SELECT g.*, r.model IS NOT NULL AS priced,
           g.input_tokens + g.cache_write_5m_tokens + g.cache_write_1h_tokens + g.cache_read_tokens AS all_input,
           (g.cache_read_tokens * (r.input - r.cr) - g.cache_write_5m_tokens * (r.cw5 - r.input)
            - g.cache_write_1h_tokens * (r.cw1 - r.input)) * 0.000001 AS saved,
           (g.input_tokens * r.input + g.cache_write_5m_tokens * r.cw5 + g.cache_write_1h_tokens * r.cw1
            + g.cache_read_tokens * r.cr + g.output_tokens * r.output) * 0.000001
            + g.web_search_requests * %s::numeric AS cached,
           r.input - r.cr AS read_saves
    FROM g LEFT JOIN r ON r.model = g.model AND r.period = g.period
)
SELECT developer_id, NULL AS model, SUM(input_tokens), SUM(output_tokens), SUM(cache_write_5m_tokens),
       SUM(cache_write_1h_tokens), SUM(cache_read_tokens), SUM(web_search_requests), SUM(saved), SUM(cached),
       SUM(CASE WHEN priced THEN 0 ELSE all_input END), SUM(all_input * read_saves)
FROM p GROUP BY developer_id
UNION ALL
SELECT NULL, model, SUM(all_input + output_tokens), SUM(web_search_requests), NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL
FROM p WHERE NOT priced GROUP BY model HAVING SUM(all_input + output_tokens) > 0 OR SUM(web_search_requests) > 0
"""


def _developers_in_database(scope: Scope, table: RateTable, unpriced: dict[str, int]) -> dict[int, dict]:
    groups = period_sums_query(scope, table, ("developer_id", "model"))
    groups, params = groups if isinstance(groups, tuple) else groups.query.sql_with_params()
    changes = rate_changes(table, scope.since, scope.until)
    rates = [
        (model, period, rate.input, rate.cache_write_5m, rate.cache_write_1h, rate.cache_read, rate.output)
        for model in sorted(table.known_models())
        for period in (scope.since, *changes.get(model, ()))
        for rate in [standard_rate(table, model, period)] if rate is not None
    ]
    values = ("VALUES " + ", ".join(["(%s, %s::date, %s::numeric, %s::numeric, %s::numeric, %s::numeric, %s::numeric)"]
                                    * len(rates))) if rates else \
        "SELECT NULL::varchar, NULL::date, 0::numeric, 0::numeric, 0::numeric, 0::numeric, 0::numeric WHERE false"
    out: dict[int, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(_FOLD.format(groups=groups, rates=values),
                       [*params, *(v for rate in rates for v in rate), table.fees.web_search_per_request])
        for developer_id, model, *sums in cursor.fetchall():
            if developer_id is None:
                name = model or "(no model)"
                unpriced[name] = unpriced.get(name, 0) + int(sums[0])
                continue
            saved, cached, unpriced_input, per_mtok = sums[6:]
            priced = saved is not None
            out[developer_id] = {
                "developer_id": developer_id, "tokens": Tokens(*(int(n) for n in sums[:6])),
                "unpriced_input": int(unpriced_input), "saved": saved, "cached": cached,
                "uncached": cached + saved if priced else None, "per_mtok": per_mtok if priced else None,
            }
    return out


def _by_hit_rate(dev: dict) -> tuple:
    rate = dev["hit_rate"]
    return (rate is None, rate or ZERO, dev["developer"].lower(), dev["developer_id"])


def _add_potential(dev: dict, target: Decimal | None) -> None:
    """Set extra_reads (tokens, rounded to a whole token) and potential (USD; None if nothing of theirs is priced)."""
    per_mtok = dev.pop("per_mtok")  # sum over their priced groups of all input x (input - cache read rate)
    current = dev["hit_rate"]
    dev["extra_reads"], dev["potential"] = 0, (ZERO if per_mtok is not None else None)
    if target is None or current is None or target <= current:
        return
    gap = target - current
    dev["extra_reads"] = int((gap * dev["tokens"].all_input).to_integral_value(ROUND_HALF_UP))
    if per_mtok is not None:
        dev["potential"] = gap * per_mtok / MTOK
