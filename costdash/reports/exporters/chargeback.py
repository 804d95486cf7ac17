"""The monthly report's chargeback breakdowns as sheets (MonthlyReport.chargeback, from
chargeback.selectors.chargeback_breakdowns): by project, API key, workspace, LiteLLM tag set and
team, cost center by the chargeback rules, and one per OpenTelemetry resource attribute.

Each breakdown puts every charge in exactly one line, so its lines add up to the month's spend; it
is finer than the daily lines (a developer-day splits across projects), so in files it is
apportioned within its own total (cents.OwnTotal): its cents add up to the month's total rounded.
A breakdown is left out while it says nothing (every line "(none)" or awaiting its recompute), and
the rule-mapped cost centers while they equal the team cost centers' table.
"""
from __future__ import annotations

from decimal import Decimal

from django.utils.text import slugify

from costdash.chargeback.selectors import AWAITING, COUNTS, NONE

from .base import INT, MONEY, RATIO, Column, Sheet
from .cents import OwnTotal
from .columns import REQUESTS, TOKEN_COLUMNS, with_tokens

# table -> (sheet key, title, name column header, note)
TABLES = {
    "projects": ("chargeback-projects", "Projects", "Project",
                 "By the repository of the working directory (Claude Code transcripts); other sources have none."),
    "api_keys": ("chargeback-api-keys", "API keys", "API key", "By Admin API key or LiteLLM key alias."),
    "workspaces": ("chargeback-workspaces", "Workspaces", "Workspace", "By Anthropic workspace."),
    "tags": ("chargeback-tags", "LiteLLM tags", "Tags",
             "By the request's set of LiteLLM tags: a request with several tags is one line, counted once."),
    "litellm_teams": ("chargeback-litellm-teams", "LiteLLM teams", "LiteLLM team", "By LiteLLM team."),
    "cost_centers": ("chargeback-cost-centers", "Cost centers by rule", "Cost center",
                     "By the chargeback rules (first match wins), else the developer's team's cost center."),
}
PLACEHOLDERS = frozenset({*NONE.values(), "unknown project", AWAITING})
MAX_KEY = 40  # GeneratedReport.sheet


def chargeback_sheets(chargeback: dict, total_spend: Decimal, team_centers: list[dict]) -> list[Sheet]:
    """The breakdowns worth a sheet, in TABLES order then the OTel attributes by name."""
    sheets = []
    for table, (key, title, header, note) in TABLES.items():
        lines = chargeback.get(table) or []
        if not _says_something(lines):
            continue
        if table == "cost_centers" and _same_as_teams(lines, team_centers):
            continue
        sheets.append(_sheet(key, title, header, note, lines, total_spend))
    for n, (attribute, lines) in enumerate(sorted((chargeback.get("otel") or {}).items())):
        if _says_something(lines):
            key = f"chargeback-otel-{slugify(attribute)}"[:MAX_KEY]
            if any(sheet.key == key for sheet in sheets):  # two names alike once slugified: team.id, teamid
                key = f"{key[:MAX_KEY - 4]}-{n}"
            sheets.append(_sheet(key, f"OTel {attribute}", attribute,
                                 f"By the OpenTelemetry resource attribute {attribute}.", lines, total_spend))
    return sheets


def _says_something(lines: list[dict]) -> bool:
    return any(line["name"] not in PLACEHOLDERS for line in lines)


def _same_as_teams(lines: list[dict], team_centers: list[dict]) -> bool:
    return {line["name"]: line["spend"] for line in lines} == {c["cost_center"]: c["spend"] for c in team_centers}


def _sheet(key: str, title: str, header: str, note: str, lines: list[dict], total_spend: Decimal) -> Sheet:
    totals = {"name": "Total", "spend": total_spend, "share": Decimal(1) if total_spend else None,
              **{count: sum(line[count] for line in lines) for count in COUNTS}}
    return Sheet(key, title, (
        Column("name", header, width=30), Column("developers", "Developers", INT), *REQUESTS, *TOKEN_COLUMNS,
        Column("spend", "Spend", MONEY), Column("share", "Share of spend", RATIO),
    ), [with_tokens(line) for line in lines], with_tokens(totals), note=note + " Each charge counted once.",
        cents=OwnTotal(("spend",)))
