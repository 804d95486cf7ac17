"""Model mix (spend and tokens per model over time) and the what-if "the same usage on another
model". Rollups only; every read goes through the Scope (so the model filter applies).

- Spend is the recorded ``DailyCost.cost``. Requests with no known price are not in it: a model whose
  every request is unpriced has spend None (flagged, never $0), one with some has ``unpriced_requests``.
- Tokens are every class summed: uncached input, output, cache writes (5m + 1h) and cache reads.
- The what-if re-prices the token sums of ``from`` at ``to``'s standard rates per rate period
  (``repricing``), against the same sums at ``from``'s own standard rates: like for like, so the
  difference is the model's alone. Groups either model cannot price are left out of both and
  counted in ``unpriced_tokens``.
"""
from __future__ import annotations

from datetime import date
import re

from django.db.models import Sum

from costdash.lib.money import ZERO
from costdash.pricing.rates import RateTable
from costdash.rollups.scope import Scope

from .repricing import Tokens, add, period_sums, price, standard_rate, token_sums
from .spend import _names

# The next cheaper family, for the default what-if target (Opus work on Sonnet, ...).
CHEAPER_FAMILY = {"mythos": "opus", "fable": "opus", "opus": "sonnet", "sonnet": "haiku"}
_NEW_ID = re.compile(r"^claude-(?P<family>[a-z]+)-(?P<version>\d+(?:-\d+)*)$")  # claude-opus-4-6
_OLD_ID = re.compile(r"^claude-(?P<version>\d+(?:-\d+)*)-(?P<family>[a-z]+)$")  # claude-3-5-haiku


def model_mix(scope: Scope) -> dict:
    """Spend and tokens per model, per day and in total. One query, grouped by (day, model).

    Keys: days ([{day, model, spend (Decimal, recorded; unpriced requests excluded), tokens (int,
    every class)}] by day then model); models ([{model, spend (None when every request is
    unpriced), share (of the scope's spend; None without spend), tokens (Tokens), total_tokens,
    requests, unpriced_requests}], most spend first); spend and tokens (scope totals); unpriced (the
    models entries with unpriced requests).
    """
    grouped = (
        scope.day_model_costs()
        .values("day", "model")
        .annotate(cost=Sum("cost"), requests=Sum("requests"), unpriced_requests=Sum("unpriced_requests"),
                  **token_sums())
        .order_by()
    )
    days, models = [], {}
    for row in grouped:
        tokens = Tokens.of(row)
        days.append({"day": row["day"], "model": row["model"], "spend": row["cost"] or ZERO, "tokens": tokens.total})
        model = models.setdefault(row["model"], {"model": row["model"], "spend": ZERO, "tokens": Tokens(),
                                                 "requests": 0, "unpriced_requests": 0})
        model["spend"] += row["cost"] or ZERO
        model["tokens"] += tokens
        model["requests"] += row["requests"] or 0
        model["unpriced_requests"] += row["unpriced_requests"] or 0
    spend = sum((m["spend"] for m in models.values()), ZERO)
    for model in models.values():
        if model["unpriced_requests"] and model["unpriced_requests"] >= model["requests"] and not model["spend"]:
            model["spend"] = None  # nothing of it priced: unknown, not $0
        model["share"] = model["spend"] / spend if spend and model["spend"] is not None else None
        model["total_tokens"] = model["tokens"].total
    days.sort(key=lambda d: (d["day"], d["model"]))
    ordered = sorted(models.values(), key=lambda m: (-(m["spend"] or ZERO), -m["total_tokens"], m["model"]))
    return {
        "days": days, "models": ordered, "spend": spend, "tokens": sum(m["total_tokens"] for m in ordered),
        "unpriced": [m for m in ordered if m["unpriced_requests"]],
    }


def what_if(scope: Scope, table: RateTable, from_model: str, to_model: str) -> dict:
    """The scope's ``from_model`` usage re-priced at ``to_model``'s standard rates.

    Two queries: sums per (developer, rate period) of ``from_model``'s rows, developer names.
    Keys: recorded (recorded cost of those rows, every row), actual (their tokens at from's standard
    rates), what_if (at to's), difference (what_if - actual: negative is a saving), all over the
    groups both models price; unpriced_tokens (tokens left out because either model had no price);
    tokens (Tokens of every row); developers ([{developer_id, developer, team, recorded, actual,
    what_if, difference, unpriced_tokens}] most actual first). Money is None when nothing compared.
    """
    grouped = period_sums(scope, table, ("developer_id",), model=from_model, priced_as=[to_model], extra=("cost",))
    by_developer: dict[int, dict] = {}
    for row in grouped:
        dev = by_developer.setdefault(row["developer_id"], _comparison({"developer_id": row["developer_id"]}))
        _compare(dev, row, table, standard_rate(table, from_model, row["period"]),
                 standard_rate(table, to_model, row["period"]))
    names = _names(set(by_developer))
    total = _comparison({})
    for dev in by_developer.values():
        dev["developer"], dev["team"] = names.get(dev["developer_id"], ("?", ""))
        _finish(dev)
        for key in ("recorded", "unpriced_tokens", "tokens"):
            total[key] += dev[key]
        total["actual"], total["what_if"] = add(total["actual"], dev["actual"]), add(total["what_if"], dev["what_if"])
    _finish(total)
    developers = sorted(by_developer.values(), key=lambda d: (-(d["actual"] or ZERO), d["developer"].lower()))
    return {**total, "developers": developers, "from_model": from_model, "to_model": to_model}


def _comparison(row: dict) -> dict:
    row.update(recorded=ZERO, actual=None, what_if=None, unpriced_tokens=0, tokens=Tokens())
    return row


def _compare(dev: dict, row: dict, table: RateTable, from_rate, to_rate) -> None:
    tokens = Tokens.of(row)
    dev["recorded"] += row["cost"] or ZERO
    dev["tokens"] += tokens
    if from_rate is None or to_rate is None:
        dev["unpriced_tokens"] += tokens.total
        return
    dev["actual"] = add(dev["actual"], price(tokens, from_rate, table.fees))
    dev["what_if"] = add(dev["what_if"], price(tokens, to_rate, table.fees))


def _finish(row: dict) -> None:
    both = row["actual"] is not None and row["what_if"] is not None
    row["difference"] = row["what_if"] - row["actual"] if both else None


def priced_models(table: RateTable, day: date) -> list[str]:
    """Every model with a standard price on ``day``, sorted: the what-if's "to" choices."""
    return sorted(model for model in table.known_models() if standard_rate(table, model, day) is not None)


def cheaper_alternative(model: str, table: RateTable, day: date) -> str | None:
    """The default what-if target: the next cheaper family's model priced on ``day`` (Opus -> Sonnet,
    Sonnet -> Haiku, Fable/Mythos -> Opus), the newest version not newer than ``model``'s, else the
    oldest newer one. None when the model's family is unknown or has no cheaper family."""
    family, version = _family_version(model)
    cheaper = CHEAPER_FAMILY.get(family or "")
    if cheaper is None:
        return None
    candidates = sorted(
        (found_version, candidate)
        for candidate in priced_models(table, day)
        for found_family, found_version in [_family_version(candidate)]
        if found_family == cheaper
    )
    if not candidates:
        return None
    older = [candidate for found_version, candidate in candidates if found_version <= version]
    return older[-1] if older else candidates[0][1]


def _family_version(model: str) -> tuple[str | None, tuple[int, ...]]:
    match = _NEW_ID.match(model) or _OLD_ID.match(model)
    if not match:
        return None, ()
    return match["family"], tuple(int(part) for part in match["version"].split("-"))


def default_what_if(models: list[dict], table: RateTable, day: date) -> tuple[str | None, str | None]:
    """The what-if's defaults for model_mix ``models``: from = the model with the most recorded
    spend; to = ``cheaper_alternative`` of it, else the other model in use with the lowest standard
    input + output rate on ``day``. Either is None when there is nothing to choose."""
    spent = [m["model"] for m in models if m["spend"]]
    if not spent:
        return None, None
    source = spent[0]
    target = cheaper_alternative(source, table, day)
    if target is None:
        priced = [(rate.input + rate.output, m["model"]) for m in models if m["model"] != source
                  for rate in [standard_rate(table, m["model"], day)] if rate is not None]
        target = min(priced)[1] if priced else None
    return source, target
