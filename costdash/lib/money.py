"""Decimal helpers. Money is Decimal USD everywhere; floats only inside charts."""
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MTOK = Decimal(1_000_000)
ZERO = Decimal(0)


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def decimal_str(amount: Decimal | None) -> str | None:
    """A plain decimal string with no exponent and no trailing zeros ("0.3414", "10")."""
    if amount is None:
        return None
    text = format(amount.normalize(), "f")
    return text


def usd(amount: Decimal | None) -> str:
    """Money for people: $1,234.57."""
    if amount is None:
        return "—"
    cents = to_cents(amount)
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents):,.2f}"
