"""Pure functions that place a day's cost against the reference figures.

No database, no settings: callers pass the figures in (usually from OrgSettings).
"""
from collections.abc import Sequence
from decimal import Decimal, localcontext

UNDER_AVERAGE = "under_average"
OVER_AVERAGE = "over_average"
OVER_CEILING = "over_ceiling"


def percentile(values: Sequence[Decimal], q: Decimal | float) -> Decimal | None:
    """The q-quantile of values, interpolated linearly between the closest ranks.

    q is a fraction in [0, 1] (0.9 for the 90th percentile), not 0-100: a q outside
    [0, 1] raises ValueError so that `percentile(xs, 90)` fails loudly.
    Same method as numpy's default (`method="linear"`): with the values sorted and
    h = (n - 1) * q, the result is v[floor(h)] + (h - floor(h)) * (v[floor(h) + 1] - v[floor(h)]).
    The arithmetic is exact Decimal (a float q is read through its shortest repr,
    so 0.9 means Decimal("0.9")). Returns None for no values.
    """
    fraction = _fraction(q)
    if not values:
        return None
    ordered = sorted(values)
    low = percentile_rank(len(ordered), fraction)
    return percentile_between(len(ordered), fraction, ordered[low], ordered[min(low + 1, len(ordered) - 1)])


def _fraction(q: Decimal | float) -> Decimal:
    fraction = Decimal(str(q)) if isinstance(q, float) else Decimal(q)
    if not Decimal(0) <= fraction <= Decimal(1):
        raise ValueError(f"q must be a fraction between 0 and 1, not {q!r}")
    return fraction


def percentile_rank(n: int, q: Decimal | float) -> int:
    """The 0-based position of the lower of the two values ``percentile`` interpolates between, for n
    values (n > 0): floor((n - 1) * q). With ``percentile_between``, a caller that can fetch the values
    at two positions (a database sorting them) gets exactly what ``percentile`` gives."""
    with localcontext() as ctx:
        ctx.prec = 80
        return int((n - 1) * _fraction(q))  # >= 0, so int() is floor


def percentile_between(n: int, q: Decimal | float, low: Decimal, high: Decimal) -> Decimal:
    """``percentile`` of n sorted values from the two at positions percentile_rank(n, q) and the one
    after it (``high``; the same value when the rank is the last position)."""
    fraction = _fraction(q)
    # Enough precision that 12-decimal money times a fraction is never rounded.
    with localcontext() as ctx:
        ctx.prec = 80
        rank = (n - 1) * fraction
        position = int(rank)
        if position == n - 1:
            return +low
        return low + (rank - position) * (high - low)


def classify_day(cost: Decimal, average: Decimal, ceiling: Decimal) -> str:
    """Where one developer-day's cost sits against the reference figures.

    Boundaries (exact Decimal comparison, no rounding):
    - "over_ceiling"  when cost >  ceiling            ($30.01 with a $30 ceiling);
    - "over_average"  when average < cost <= ceiling  (exactly $30 is NOT over the ceiling);
    - "under_average" when cost <= average            (exactly $13 counts as at/under the average).
    The ceiling check comes first, so a ceiling below the average still flags days above it.
    """
    if cost > ceiling:
        return OVER_CEILING
    if cost > average:
        return OVER_AVERAGE
    return UNDER_AVERAGE
