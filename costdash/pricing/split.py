"""Recover the 5-minute / 1-hour split of cache writes from a source's own cost figure.

Some sources give cache writes as one number (Claude Code's OTel token counter, Claude Code
Analytics, LiteLLM's daily export, the older Console usage CSV) but also report what the usage
cost (``claude_code.cost.usage``, ``estimated_cost``, ``spend``). At our dated rates a bucket's
cost is linear in the number ``x`` of its ``W`` writes that were 5-minute writes::

    C(x) = cost_1h - x * (cost_1h - cost_5m) / W

where ``cost_5m`` / ``cost_1h`` are the bucket priced with every write at the 5m / 1h rate (each
found with ``rates.cost_of``, so the long-context tier, fast mode, the US multiplier and Batch
apply as they do anywhere). Solving ``C(x) = reported`` for a whole ``x`` in ``[0, W]`` gives the
split, within the reported figure's rounding.

Pure: no Django, no database, Decimal throughout (a local context wide enough that the
divisions of whole tokens and per-million prices stay exact).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, localcontext

from .rates import RateTable, Usage, cost_of

EXACT = ""  # the source gave the split, or there were no writes to split
RECOVERED = "recovered"
ASSUMED = "assumed"
METHODS = (EXACT, RECOVERED, ASSUMED)

ZERO = Decimal(0)
_PRECISION = 60  # digits: token counts (<= 1e13) times prices (12 places) with room to spare


@dataclass(frozen=True, slots=True)
class Rounding:
    """How far a source's reported cost may be from the exact sum of its requests' prices.

    ``per_record``: USD each reported figure may be off (half its last unit: $0.005 for whole
    cents, 1e-12 for a figure stored at 12 places); ``relative``: the float arithmetic the source
    summed with (Claude Code and LiteLLM add doubles), as a share of the total.
    """

    per_record: Decimal
    relative: Decimal = ZERO

    def tolerance(self, reported: Decimal, records: int) -> Decimal:
        """The USD a bucket's reported total of ``records`` figures may be off by."""
        return self.per_record * max(records, 1) + self.relative * abs(reported)


# Claude Code's cost.usage and LiteLLM's spend: doubles, stored at 12 places.
EXACT_FIGURES = Rounding(Decimal("1e-12"), Decimal("1e-9"))
# Claude Code Analytics' estimated_cost: whole cents (fractional amounts are only tighter).
WHOLE_CENTS = Rounding(Decimal("0.005"))


@dataclass(frozen=True, slots=True)
class Split:
    """A bucket's writes as costdash counts them, and how that split was obtained.

    ``method``: EXACT (nothing hidden), RECOVERED (solved from the reported cost: the true split
    is within ``bound_tokens`` 5-minute writes of ``write_5m``) or ASSUMED (the source's rule,
    the writes counted as the parser put them; ``reason`` says why nothing better was found).
    """

    write_5m: int
    write_1h: int
    method: str = EXACT
    bound_tokens: int = 0
    reason: str = ""


@dataclass(slots=True)
class Bucket:
    """The sums one solve works on: the writes, the bucket's cost at each end, the reported cost.

    Fill it with ``add`` for each record (cost.usage points carry a reported cost and no tokens;
    Analytics and LiteLLM rows both). ``mixed_rates`` turns True when two records price a write
    token differently (another tier or day): then one share per bucket is all a solve could say.
    """

    writes: int = 0
    cost_5m: Decimal | None = ZERO  # None once any record is unpriced
    cost_1h: Decimal | None = ZERO
    reported: Decimal | None = None  # None while no record reported a cost
    reporting: int = 0  # records that reported a cost
    mixed_rates: bool = False
    _gap: tuple[int, Decimal] | None = None  # (writes, cost gap) of the first record with writes

    def add(self, writes: int, cost_5m: Decimal | None, cost_1h: Decimal | None,
            reported: Decimal | None = None) -> None:
        """One record: its unsplit ``writes``, its cost with them all 5m / all 1h (None: unpriced)
        and its reported cost (None: it reports none)."""
        if reported is not None:
            self.reported = (self.reported or ZERO) + reported
            self.reporting += 1
        if cost_5m is None or cost_1h is None or self.cost_5m is None or self.cost_1h is None:
            self.cost_5m = self.cost_1h = None
        else:
            self.cost_5m += cost_5m
            self.cost_1h += cost_1h
        if writes and cost_5m is not None and cost_1h is not None:
            gap = cost_1h - cost_5m
            if self._gap is None:
                self._gap = (writes, gap)
            elif gap * self._gap[0] != self._gap[1] * writes:  # another price per write token
                self.mixed_rates = True
        self.writes += writes


def solve(bucket: Bucket, rounding: Rounding, assumed: tuple[int, int]) -> Split:
    """The split of ``bucket.writes`` that its reported cost implies, or ``assumed`` (the
    parser's (5m, 1h) counting) with the reason none could be found.

    RECOVERED when a whole x in [0, W] prices the bucket within ``rounding`` of the reported
    cost, and that rounding leaves fewer than W splits possible; ``bound_tokens`` is how far the
    true x may be from the one returned (0 for exact figures; 0.005 / per-token gap for cents).
    """
    writes = bucket.writes
    if writes == 0:
        return Split(0, 0, EXACT)

    def keep(reason: str) -> Split:
        return Split(assumed[0], assumed[1], ASSUMED, 0, reason)

    if bucket.cost_5m is None or bucket.cost_1h is None:
        return keep("model has no price at that date: unpriced")
    if bucket.reported is None:
        return keep("the source reports no cost to solve the split from")
    if bucket.mixed_rates:
        return keep("the writes are priced at more than one rate in this bucket")
    gap = bucket.cost_1h - bucket.cost_5m
    if gap <= 0:
        return keep("5-minute and 1-hour writes cost the same at our rates")
    reported = bucket.reported
    tolerance = rounding.tolerance(reported, bucket.reporting)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        exact_x = (bucket.cost_1h - reported) * writes / gap
        slack = tolerance * writes / gap  # tokens the rounding leaves open either way
        if exact_x < -slack:
            return keep(f"reported cost ${_usd(reported)} is above the all-1-hour cost ${_usd(bucket.cost_1h)}"
                        " at our rates: another price table or a surcharge")
        if exact_x > writes + slack:
            return keep(f"reported cost ${_usd(reported)} is below the all-5-minute cost ${_usd(bucket.cost_5m)}"
                        " at our rates: another price table or a discount")
        bound = int((slack + Decimal("0.5")).to_integral_value(rounding=ROUND_FLOOR))
        if bound >= writes:
            return keep(f"the reported cost's rounding (±${_usd(tolerance)}) spans every split of the"
                        f" {writes:,} writes")
        x = min(max(int(exact_x.to_integral_value(rounding=ROUND_HALF_EVEN)), 0), writes)
        if abs(cost_at(bucket, x) - reported) > tolerance:
            return keep(f"no whole-token split explains the reported cost ${_usd(reported)} within"
                        f" ±${_usd(tolerance)} at our rates")
    return Split(x, writes - x, RECOVERED, bound)


def cost_at(bucket: Bucket, write_5m: int) -> Decimal:
    """The bucket's cost with ``write_5m`` of its writes at the 5m rate and the rest at 1h.

    Exact when every write token has one price in the bucket (not ``mixed_rates``); the gap is
    then W times the per-token gap, so the division below leaves no remainder.
    """
    if bucket.cost_5m is None or bucket.cost_1h is None:
        raise ValueError("an unpriced bucket has no cost")
    if not bucket.writes:
        return bucket.cost_1h
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return bucket.cost_1h - (bucket.cost_1h - bucket.cost_5m) * write_5m / bucket.writes


def priced_ends(usage: Usage, writes: int, at: datetime, table: RateTable | None = None
                ) -> tuple[Decimal | None, Decimal | None]:
    """(cost with ``writes`` more 5m writes, cost with them as 1h writes) of ``usage`` (a record's
    other tokens, its known writes included) at ``at``: what ``Bucket.add`` takes. None: unpriced."""
    return (
        cost_of(replace(usage, cache_write_5m_tokens=usage.cache_write_5m_tokens + writes), at, table),
        cost_of(replace(usage, cache_write_1h_tokens=usage.cache_write_1h_tokens + writes), at, table),
    )


def _usd(amount: Decimal) -> str:
    """An amount for a reason: to the micro-dollar, trailing zeros dropped."""
    text = f"{amount.quantize(Decimal('0.000001')):f}".rstrip("0")
    return text + "00" if text.endswith(".") else text
