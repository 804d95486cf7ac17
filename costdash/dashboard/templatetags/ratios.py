"""{% load ratios %}: `{{ fraction|percent }}` renders a [0, 1] Decimal as "42.5%" (— for None)."""
from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()


@register.filter
def percent(fraction, places: int = 1):
    """A fraction as a percentage with ``places`` decimals (``|percent:0`` for whole numbers)."""
    if fraction is None or fraction == "":
        return "—"
    value = (Decimal(fraction) * 100).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    return f"{value}%"
