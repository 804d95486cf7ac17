"""Which cost center a request is charged to: ordered rules on its dimensions, first match wins.

``dimensions`` here is what the rollup stores per row (DailyDimensionCost.dimensions, decoded):
``project`` (the repository), and when known ``api_key``, ``workspace``, ``team``, ``tags`` (a
list) and ``otel`` ({resource attribute: value}). A rule matches a value exactly, or as a glob
when its pattern holds ``*``, ``?`` or ``[`` (fnmatchcase: case matters, ``*`` crosses ``/``). A
tag rule matches when any of the request's tags matches, so a request still goes to one cost center
only: the first rule that matches it.

With no rule matching, the request goes to its developer's team's cost center (the fallback); a
rule with a blank cost center sends what it matches there too, and an EVERYTHING rule (the
default) matches every request that reaches it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from .models import ChargebackRule, Dimension

GLOB = frozenset("*?[")


@dataclass(frozen=True)
class Rule:
    dimension: str
    attribute: str
    pattern: str
    cost_center: str  # "": the fallback (the developer's own)

    def matches(self, dimensions: dict) -> bool:
        if self.dimension == Dimension.EVERYTHING:
            return True
        glob = not GLOB.isdisjoint(self.pattern)
        for value in values_of(dimensions, self.dimension, self.attribute):
            if fnmatchcase(value, self.pattern) if glob else value == self.pattern:
                return True
        return False


def rules_load() -> list[Rule]:
    """Every rule, in the order they are tried."""
    return [
        Rule(r.dimension, r.attribute.strip(), r.pattern.strip(), r.cost_center.strip())
        for r in ChargebackRule.objects.order_by("position", "id")
    ]


def values_of(dimensions: dict, dimension: str, attribute: str = "") -> list[str]:
    """The values of one dimension of a request (several for tags; none when it has none)."""
    if dimension == Dimension.TAG:
        return list(dimensions.get("tags") or ())
    if dimension == Dimension.OTEL:
        value = (dimensions.get("otel") or {}).get(attribute)
        return [value] if value else []
    value = dimensions.get(dimension)
    return [value] if value else []


def cost_center_of(dimensions: dict, fallback: str, rules: Iterable[Rule]) -> str:
    """The cost center of a request with these dimensions: the first matching rule's, else (or
    when that rule names none) ``fallback``, the developer's team's cost center."""
    for rule in rules:
        if rule.matches(dimensions):
            return rule.cost_center or fallback
    return fallback
