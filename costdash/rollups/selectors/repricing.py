"""Re-pricing grouped token sums at standard rates: the estimates the cache and models pages share.

``DailyCost.cost`` is the recorded price of each request (long context, fast mode, Batch and US
inference included). The caching savings and the model what-if instead price *token sums* with a
model's standard row (tier 0: not long-context; standard speed; no Batch or geo) in force on the
day. That is an estimate, and the pages say so: a day's sum no longer knows which of its requests
crossed a long-context threshold. Both sides of every comparison are priced the same way, so the
difference isolates what is compared (caching, or the model) from those surcharges.

Rates are effective-dated, so a query grouping a year of rows must not lump together days priced
differently. ``rate_period`` labels each row with the first day of its model's price period (cut
wherever a standard row of that model starts or stops): inside a period the model's rate is
constant, so a group (developer, model, period) prices exactly like its days priced one by one.
Unknown models (or days without a row) price to None: flagged, never $0.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from django.db.models import Case, DateField, Sum, Value, When

from costdash.lib.money import MTOK, ZERO
from costdash.pricing.rates import STANDARD, Fees, Rate, RateTable

# DailyCost columns summed by every grouped read, in Tokens' field order.
SUM_FIELDS = (
    "input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens",
    "web_search_requests",
)


def token_sums() -> dict[str, Sum]:
    """``annotate(**token_sums())``: one Sum per DailyCost token column (and web searches)."""
    return {name: Sum(name) for name in SUM_FIELDS}


@dataclass(frozen=True, slots=True)
class Tokens:
    """Token sums of some DailyCost rows. ``input`` is uncached input, as in DailyCost."""

    input: int = 0
    output: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    cache_read: int = 0
    web_search: int = 0

    @classmethod
    def of(cls, row: dict) -> Tokens:
        """From a ``values(...).annotate(**token_sums())`` row (a NULL sum is 0)."""
        return cls(*(row[name] or 0 for name in SUM_FIELDS))

    def __add__(self, other: Tokens) -> Tokens:
        return Tokens(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def cache_writes(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    @property
    def all_input(self) -> int:
        """Every input token: uncached + cache writes + cache reads (the hit rate's denominator)."""
        return self.input + self.cache_writes + self.cache_read

    @property
    def total(self) -> int:
        """Every token of every class, output included."""
        return self.all_input + self.output

    @property
    def hit_rate(self) -> Decimal | None:
        """cache_read / all_input as a fraction in [0, 1]; None with no input at all."""
        return Decimal(self.cache_read) / Decimal(self.all_input) if self.all_input else None


def rate_changes(table: RateTable, since: date, until: date) -> dict[str, list[date]]:
    """Per model, the days after ``since`` up to ``until`` on which its standard tier-0 price may
    change (a row of it starts or stops), sorted. Models whose price holds all range are absent."""
    changes: dict[str, set[date]] = {}
    for rate in table.rates:
        if rate.speed != STANDARD or rate.min_input_tokens:
            continue  # standard_rate never reads fast or long-context rows
        for edge in (rate.effective_from, rate.effective_until):
            if edge is not None and since < edge <= until:
                changes.setdefault(rate.model, set()).add(edge)
    return {model: sorted(edges) for model, edges in changes.items()}


def rate_period(table: RateTable, since: date, until: date, *, priced_as: Iterable[str] = ()):
    """A DailyCost expression: the first day of the row's rate period, within which its model's
    standard price is constant: ``since``, or the latest price change on or before the row's day.

    ``priced_as``: models the rows will also be priced as (the what-if's target); their price
    changes cut every row's periods too. Only models whose price changes inside the range get a
    condition, so a year usually groups as one period per model.
    """
    changes = rate_changes(table, since, until)
    shared = {edge for model in priced_as for edge in changes.get(model, ())}
    whens = [
        When(model=model, day__gte=edge, then=Value(edge))
        for model, edges in changes.items()
        for edge in sorted(set(edges) | shared, reverse=True)  # the latest change first: the first match wins
    ]
    whens += [When(day__gte=edge, then=Value(edge)) for edge in sorted(shared, reverse=True)]
    start = Value(since, output_field=DateField())
    return Case(*whens, default=start, output_field=DateField()) if whens else start


def standard_rate(table: RateTable, model: str, day: date) -> Rate | None:
    """The model's standard-speed, tier-0 row in force on ``day``; None when it has no price then."""
    return table.lookup(model, day, STANDARD, 0) if model else None


def price(tokens: Tokens, rate: Rate, fees: Fees) -> Decimal:
    """Standard-rate USD of the tokens, web searches included. Exact Decimal, unrounded."""
    cost = (
        tokens.input * rate.input
        + tokens.cache_write_5m * rate.cache_write_5m
        + tokens.cache_write_1h * rate.cache_write_1h
        + tokens.cache_read * rate.cache_read
        + tokens.output * rate.output
    ) / MTOK
    return cost + tokens.web_search * fees.web_search_per_request


def uncached_price(tokens: Tokens, rate: Rate, fees: Fees) -> Decimal:
    """``price`` as if every cache read and cache write were billed as plain input."""
    return price(Tokens(input=tokens.all_input, output=tokens.output, web_search=tokens.web_search), rate, fees)


def caching_saved(tokens: Tokens, rate: Rate) -> Decimal:
    """uncached_price - price: reads save (input - read rate), writes cost (write rate - input) more.

    Negative when the extra paid for writes outweighs what the reads saved (little reuse).
    """
    return (
        tokens.cache_read * (rate.input - rate.cache_read)
        - tokens.cache_write_5m * (rate.cache_write_5m - rate.input)
        - tokens.cache_write_1h * (rate.cache_write_1h - rate.input)
    ) / MTOK


def add(total: Decimal | None, amount: Decimal | None) -> Decimal | None:
    """A running total where None means "nothing priced yet"."""
    if amount is None:
        return total
    return (total or ZERO) + amount
