"""{% load money %}: `{{ amount|usd }}` renders Decimal USD as $1,234.56 (— for None)."""
from django import template

from costdash.lib import money

register = template.Library()


@register.filter
def usd(amount):
    return money.usd(amount)
