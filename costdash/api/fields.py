"""How the API writes money and other exact figures: decimal strings, never floats.

Money is US dollars as a string with at least two decimals and every significant digit kept
("13.00", "0.3414", "-2.50"), so sums agree to the cent with the pages; a ratio is a fraction
in [0, 1] as a string ("0.775"), rounded to six places. null is unknown (no price, no input), never 0.
"""
from decimal import ROUND_HALF_UP, Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from costdash.lib.money import CENT, decimal_str


def money_str(amount: Decimal) -> str:
    """At least two decimals, no exponent, trailing zeros past the cents dropped."""
    exact = amount.normalize()
    return format(exact if exact.as_tuple().exponent < -2 else amount.quantize(CENT), "f")


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$", "example": "45.5",
                      "description": "An exact decimal number as a string"})
class DecimalStringField(serializers.Field):
    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Decimal) -> str:
        return decimal_str(value)


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^-?\d+\.\d{2,}$", "example": "13.00",
                      "description": "US dollars as a string: at least two decimals, exact (never a float)"})
class MoneyField(DecimalStringField):
    def to_representation(self, value: Decimal) -> str:
        return money_str(value)


FRACTION_PLACES = Decimal("0.000001")


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^\d+(\.\d+)?$", "example": "0.775",
                      "description": "A fraction as a string (0.775 = 77.5%), rounded half up to six places"})
class FractionField(DecimalStringField):
    """A ratio is a quotient: rounded to six places (never a 28-digit quotient), trailing zeros dropped."""

    def to_representation(self, value: Decimal) -> str:
        return decimal_str(value.quantize(FRACTION_PLACES, rounding=ROUND_HALF_UP))
