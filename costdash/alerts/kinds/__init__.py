"""Rule kinds: one class per kind of alert, in a registry (KINDS). Adding a kind = a class in one
of these modules, one line in KINDS, one test file.

A kind turns its enabled rules into ``Finding``s: a subject past the rule's line on a day. The
evaluation (alerts.evaluation) raises an AlertEvent for each, once per (rule, subject, day). Kinds
read rollups and other apps' state; they never write.
"""
from .base import Context, Finding, RuleKind
from .budgets import BudgetShare
from .developer_day import DailyCeiling, ProjectedCeiling
from .limits import LimitProjected, LimitShare
from .operational import ConnectorFailed, ImportFailed, RequestConflictKind, RollupFailed, UnpricedModel
from .team_average import TeamAverage

KINDS: dict[str, RuleKind] = {
    kind.key: kind
    for kind in (
        DailyCeiling(), ProjectedCeiling(), TeamAverage(), LimitShare(), LimitProjected(), ImportFailed(),
        ConnectorFailed(), UnpricedModel(), RollupFailed(), RequestConflictKind(), BudgetShare(),
    )
}


def kind_of(key: str) -> RuleKind:
    return KINDS[key]


__all__ = ["KINDS", "Context", "Finding", "RuleKind", "kind_of"]
