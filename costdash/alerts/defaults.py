"""The rules a fresh install starts with (created by migration 0002 when there are none), so it
alerts out of the box. A threshold naming an OrgSettings field starts at that figure.

Plain data and one function of the model it is given, so the data migration can use them with its
historical models.
"""
from decimal import Decimal

DEFAULT_RULES = [
    {"kind": "daily_ceiling", "threshold": "daily_ceiling"},  # $30
    {"kind": "projected_ceiling", "threshold": "daily_ceiling"},
    {"kind": "team_average", "threshold": "average_daily_cost", "window_days": 7},  # $13
    {"kind": "limit_share", "threshold": "50"},
    {"kind": "limit_share", "threshold": "80"},
    {"kind": "limit_share", "threshold": "100"},
    {"kind": "limit_projected", "threshold": "100"},
    {"kind": "import_failed"},
    {"kind": "connector_failed"},
    {"kind": "unpriced_model"},
    {"kind": "rollup_failed"},
    {"kind": "request_conflict"},
]
ORG_FIGURES = {"daily_ceiling": Decimal("30.00"), "average_daily_cost": Decimal("13.00")}


def rules_create_defaults(rule_model, org_settings=None) -> int:
    """Create DEFAULT_RULES when ``rule_model`` has no rows at all; returns how many were created.
    ``org_settings`` (the OrgSettings row, if any) supplies the org's own figures."""
    if rule_model.objects.exists():
        return 0
    figures = {name: getattr(org_settings, name, default) for name, default in ORG_FIGURES.items()}
    rules = []
    for spec in DEFAULT_RULES:
        threshold = spec.get("threshold")
        threshold = figures.get(threshold, threshold)
        rules.append(rule_model(kind=spec["kind"], threshold=None if threshold is None else Decimal(threshold),
                                window_days=spec.get("window_days", 7)))
    rule_model.objects.bulk_create(rules)
    return len(rules)
