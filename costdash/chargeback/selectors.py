"""The monthly report's chargeback breakdowns, and a charge row's dimensions (for exports).

Every breakdown puts each DailyDimensionCost row in exactly one line, so its lines add up to the
month's total exactly (DailyDimensionCost adds up to DailyCost, chargeback.rollup):

- ``projects``: the repository (``unknown project`` for sources without a working directory), by
  the name it is shown by (ProjectAlias: one line for repositories merged under one name);
- ``api_keys``, ``workspaces``, ``litellm_teams``: the value, or a "(none)" line;
- ``tags``: the request's *set* of LiteLLM tags, sorted and joined ("claude-code, team-a"): a
  request with several tags is one line, never counted once per tag; "(no tags)" for none;
- ``otel``: per resource attribute name seen in the month, a table by its value ("(not set)" for
  requests without it);
- ``cost_centers``: by the chargeback rules (chargeback.rules: first match wins, then the
  developer's team's cost center).

Any cost not yet split by dimensions (developer-days awaiting their recompute after an upgrade)
is one AWAITING line in each table, so the tables still add up to the total.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum
import orjson

from costdash.rollups.scope import Scope

from .models import DailyDimensionCost, ProjectAlias
from .rules import cost_center_of, rules_load

NONE = {"api_keys": "(no API key)", "workspaces": "(no workspace)", "litellm_teams": "(no LiteLLM team)",
        "tags": "(no tags)", "otel": "(not set)", "cost_centers": "(no cost center)"}
AWAITING = "(awaiting recompute)"
COUNTS = ("requests", "unpriced_requests", "input_tokens", "output_tokens", "cache_write_5m_tokens",
          "cache_write_1h_tokens", "cache_read_tokens", "web_search_requests")
TABLES = ("projects", "api_keys", "workspaces", "tags", "litellm_teams", "cost_centers")


def dimension_rows(scope: Scope):
    """The scope's DailyDimensionCost rows summed per (developer, dimensions), with the
    developer's team's cost center: one grouped query."""
    rows = DailyDimensionCost.objects.filter(developer__in=scope.developers, day__gte=scope.since,
                                             day__lte=scope.until)
    if scope.model:
        rows = rows.filter(model=scope.model)
    return (
        rows.values("developer_id", "developer__team__cost_center", "dimensions")
        .annotate(spend=Sum("cost"), **{c: Sum(c) for c in COUNTS}).order_by()
    )


def chargeback_breakdowns(scope: Scope, total_spend: Decimal) -> dict:
    """The breakdowns (module docstring): {table: [line]}, and "otel": {attribute: [line]}. A line:
    name, spend, share (of ``total_spend``), developers, and the COUNTS. Most spend first."""
    rules = rules_load()
    aliases = dict(ProjectAlias.objects.values_list("repository", "name"))
    tables: dict[str, dict[str, dict]] = {t: {} for t in TABLES}
    otel: dict[str, dict[str, dict]] = defaultdict(dict)
    grouped = list(dimension_rows(scope))
    names = sorted({n for row in grouped for n in (_decoded(row["dimensions"]).get("otel") or {})})
    for row in grouped:
        dims = _decoded(row["dimensions"])
        center = cost_center_of(dims, row["developer__team__cost_center"] or "", rules)
        tags = ", ".join(sorted(dims.get("tags") or ()))
        for table, name in (
            ("projects", aliases.get(dims.get("project"), dims.get("project"))), ("api_keys", dims.get("api_key")),
            ("workspaces", dims.get("workspace")), ("tags", tags), ("litellm_teams", dims.get("team")),
            ("cost_centers", center),
        ):
            _add(tables[table], name or NONE.get(table, "unknown project"), row)
        attrs = dims.get("otel") or {}
        for attr in names:
            _add(otel[attr], attrs.get(attr) or NONE["otel"], row)
    result = {t: _lines(lines, total_spend) for t, lines in tables.items()}
    result["otel"] = {attr: _lines(lines, total_spend) for attr, lines in otel.items()}
    return result


def _decoded(text: str) -> dict:
    return orjson.loads(text) if text else {}


def _add(lines: dict[str, dict], name: str, row: dict) -> None:
    line = lines.get(name)
    if line is None:
        line = lines[name] = {"name": name, "spend": Decimal(0), "developer_ids": set(), **dict.fromkeys(COUNTS, 0)}
    line["spend"] += row["spend"] or 0
    line["developer_ids"].add(row["developer_id"])
    for c in COUNTS:
        line[c] += row[c] or 0


def _lines(lines: dict[str, dict], total_spend: Decimal) -> list[dict]:
    """The lines, most spend first, with the AWAITING line when they fall short of the total."""
    out = []
    for line in lines.values():
        ids = line.pop("developer_ids")
        out.append(line | {"developers": len(ids)})
    gap = total_spend - sum((line["spend"] for line in out), Decimal(0))
    if gap:
        out.append({"name": AWAITING, "spend": gap, "developers": 0, **dict.fromkeys(COUNTS, 0)})
    for line in out:
        line["share"] = line["spend"] / total_spend if total_spend else None
    return sorted(out, key=lambda line: (-line["spend"], line["name"].lower()))


def charge_dimensions(scope: Scope) -> dict[tuple, dict[str, list[str]]]:
    """(developer id, day, model, source) -> {dimension: sorted distinct values} of each charge row
    (a DailyCost row) in ``scope``: project, api_key, workspace, team, tag, cost_center and
    ``otel.<attribute>``; only dimensions with a value. One query; for exports' tag columns."""
    rows = DailyDimensionCost.objects.filter(developer__in=scope.developers, day__gte=scope.since,
                                             day__lte=scope.until)
    if scope.model:
        rows = rows.filter(model=scope.model)
    rules = rules_load()
    aliases = dict(ProjectAlias.objects.values_list("repository", "name"))
    found: dict[tuple, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    fields = ("developer_id", "day", "model", "source", "dimensions", "developer__team__cost_center")
    for developer_id, day, model, source, text, center in rows.values_list(*fields).iterator(chunk_size=2000):
        dims = _decoded(text)
        held = found[(developer_id, day, model, source)]
        if dims.get("project"):
            held["project"].add(aliases.get(dims["project"], dims["project"]))
        for name in ("api_key", "workspace", "team"):
            if dims.get(name):
                held[name].add(dims[name])
        held["tag"].update(dims.get("tags") or ())
        for attr, value in (dims.get("otel") or {}).items():
            held[f"otel.{attr}"].add(value)
        held["cost_center"].add(cost_center_of(dims, center or "", rules) or NONE["cost_centers"])
    return {key: {name: sorted(values) for name, values in held.items() if values} for key, held in found.items()}
