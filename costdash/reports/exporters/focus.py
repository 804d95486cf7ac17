"""The month as a FinOps FOCUS 1.0 cost-and-usage file (https://focus.finops.org): what FinOps tools
ingest. One row per charge: a DailyCost row (developer x org-local day x model x source), read from
the monthly report's scope (selectors.month_scope), so BilledCost sums to the report's spend exactly.

Choices, where the spec leaves them to the data generator:
- Costs: BilledCost = EffectiveCost = ListCost = ContractedCost = the row's cost as costdash priced
  it at Anthropic's list rates (the rate table), carried as an exact decimal string, never rounded
  per row. The sources' own cost figures (LiteLLM spend, OTel cost.usage) are not used: they can
  disagree with each other and with the invoice (the monthly report's Reconciliation compares the
  invoice with our pricing); one figure everywhere is what makes chargeback add up.
- A row mixes token classes priced differently (input, output, cache writes and reads), so there is
  no single unit price: ListUnitPrice and ContractedUnitPrice are null. ConsumedQuantity is the
  row's tokens (Tokens); PricingQuantity the same in millions (1M Tokens), as Anthropic prices them.
  The per-class counts are x_ columns. A model with no known price gives cost 0 with
  x_UnpricedRequests > 0 (FOCUS costs cannot be null; the report's "unknown, never $0" is there).
- SubAccount: the developer's team (a row may hold several workspaces or API keys: they are tags);
  null for a developer with no team. ResourceId, ResourceName, SkuId, SkuPriceId: the model.
- ChargePeriodStart/End: the org-local day's [start, end) in UTC (23 or 25 hours across DST);
  BillingPeriodStart/End: the month's, the same way.
- Tags: the allocation dimensions as a JSON object with costdash/ prefixed keys (provider-defined):
  developer, team, cost center, source and the chargeback dimensions (_tags).
- A closed month's rows are its daily lines as closed (the snapshot), their chargeback tags too.
- Custom columns start with x_, as the spec requires.

Values are written verbatim except that text a spreadsheet would run as a formula gets the CSV
export's leading apostrophe (formats/csv_format; only names can start so): the file is also opened
in spreadsheets. Written row by row through the CSV format (flat memory at 100k rows).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
import json

from costdash.accounts.models import Developer, OrgSettings
from costdash.chargeback.selectors import charge_dimensions
from costdash.ingest.models import Source
from costdash.lib.dates import day_bounds
from costdash.lib.money import MTOK, decimal_str
from costdash.limits.selectors import org_today

from ..selectors import _provisional_reasons, month_scope, monthly_daily_lines
from .base import Column, Exporter, Sheet

FOCUS_VERSION = "1.0"
PROVIDER = "Anthropic"
SERVICE_NAME = "Claude"
SERVICE_CATEGORY = "AI and Machine Learning"
TAG_PREFIX = "costdash/"
SHEET = "focus"
TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
                "cache_read_tokens")
# chargeback.selectors.charge_dimensions' names, as tag keys.
TAG_NAMES = {"team": "litellm_team", "tag": "litellm_tags", "cost_center": "chargeback_cost_center"}

# FOCUS 1.0 columns (spec column ids), then costdash's own (x_). Every column is text here: the
# values are formatted exactly (money as plain decimals, times as ISO 8601 UTC) before writing.
FOCUS_COLUMNS = (
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription",
    "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory",
    "CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountStatus", "CommitmentDiscountType",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice", "EffectiveCost",
    "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory", "PricingQuantity", "PricingUnit",
    "ProviderName", "PublisherName", "RegionId", "RegionName", "ResourceId", "ResourceName", "ResourceType",
    "ServiceCategory", "ServiceName", "SkuId", "SkuPriceId", "SubAccountId", "SubAccountName", "Tags",
)
CUSTOM_COLUMNS = (
    "x_Developer", "x_DeveloperEmail", "x_Team", "x_CostCenter", "x_Source", "x_Requests",
    "x_UnpricedRequests", "x_InputTokens", "x_OutputTokens", "x_CacheWrite5mTokens", "x_CacheWrite1hTokens",
    "x_CacheReadTokens", "x_WebSearchRequests", "x_ChargebackCostCenter",
)
COLUMNS = tuple(Column(name, name) for name in (*FOCUS_COLUMNS, *CUSTOM_COLUMNS))
DECIMAL_COLUMNS = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ConsumedQuantity",
                   "PricingQuantity")


def utc_text(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, to the second: 2026-03-01T05:00:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money_text(amount: Decimal) -> str:
    """An exact plain decimal with at least one decimal place ("12.25", "0.0", "0.000123"): never an
    exponent, never rounded; the decimal point keeps a column of whole amounts read as decimals."""
    text = decimal_str(amount) or "0"
    return text if "." in text else f"{text}.0"


def focus_rows(month: date) -> Iterator[dict]:
    """``month``'s charges as FOCUS rows (dicts keyed by column name; None is an empty cell), by
    developer, day, model and source: the monthly report's daily lines (selectors.monthly_daily_lines:
    a closed month's as closed), streamed. Tags add each row's chargeback dimensions: a closed
    month's as closed, else as they are now (dimensions_of_lines)."""
    org = OrgSettings.get()
    scope = month_scope(month)
    billing_start, _ = day_bounds(scope.since, org.time_zone)
    _, billing_end = day_bounds(scope.until, org.time_zone)
    fixed = _fixed_values(org, utc_text(billing_start), utc_text(billing_end))
    labels = dict(Source.choices)
    lookup = None
    bounds: dict[date, tuple[str, str]] = {}
    for line in monthly_daily_lines(month):
        day = line["day"]
        if day not in bounds:
            start, end = day_bounds(day, org.time_zone)
            bounds[day] = (utc_text(start), utc_text(end))
        if "dimensions" in line:  # a closed month's line keeps its dimensions as closed
            found = line["dimensions"]
        else:
            lookup = lookup or dimensions_of_lines(scope)
            found = lookup(line)
        yield fixed | _charge(line, bounds[day], labels.get(line["source"], line["source"]), found)


def dimensions_of_lines(scope) -> Callable[[dict], dict]:
    """A daily line's chargeback dimensions (chargeback.selectors.charge_dimensions, as they are now:
    rules included), looked up by developer, day, model and source; one query for the scope."""
    developer_ids = dict(Developer.objects.values_list("email", "pk"))
    dimensions = charge_dimensions(scope)  # one dict per charge row with dimensions (~100 bytes each)

    def of(line: dict) -> dict:
        return dimensions.get((developer_ids.get(line["email"]), line["day"], line["model"], line["source"]), {})

    return of


def _fixed_values(org: OrgSettings, billing_start: str, billing_end: str) -> dict:
    """What every row of the month says the same."""
    return dict.fromkeys(FOCUS_COLUMNS) | {
        "BillingAccountId": f"costdash:{org.pk}", "BillingAccountName": org.name, "BillingCurrency": "USD",
        "BillingPeriodStart": billing_start, "BillingPeriodEnd": billing_end,
        "ChargeCategory": "Usage", "ChargeFrequency": "Usage-Based", "PricingCategory": "Standard",
        "InvoiceIssuerName": PROVIDER, "ProviderName": PROVIDER, "PublisherName": PROVIDER,
        "ServiceName": SERVICE_NAME, "ServiceCategory": SERVICE_CATEGORY, "ResourceType": "Model",
        "ConsumedUnit": "Tokens", "PricingUnit": "1M Tokens",
    }


def _charge(line: dict, period: tuple[str, str], source_label: str, dimensions: dict) -> dict:
    """The row's own values: its costs, period, quantities, model, team and tags."""
    tokens = sum(line[name] for name in TOKEN_FIELDS)
    cost = money_text(line["cost"])
    model, team, unpriced = line["model"], line["team"], line["unpriced_requests"]
    description = f"{model} usage ({source_label})"
    if unpriced:
        description += f"; {unpriced} request{'s' if unpriced != 1 else ''} with no known price, not in cost"
    return {
        "BilledCost": cost, "EffectiveCost": cost, "ListCost": cost, "ContractedCost": cost,
        "ChargePeriodStart": period[0], "ChargePeriodEnd": period[1], "ChargeDescription": description,
        "ConsumedQuantity": money_text(Decimal(tokens)), "PricingQuantity": money_text(Decimal(tokens) / MTOK),
        "ResourceId": model, "ResourceName": model, "SkuId": model, "SkuPriceId": model,
        # The team is the sub-account (teams are unique by name); none for a developer with no team.
        "SubAccountId": team or None, "SubAccountName": team or None,
        "Tags": json.dumps(_tags(line, dimensions), ensure_ascii=False, sort_keys=True),
        "x_Developer": line["developer"], "x_DeveloperEmail": line["email"], "x_Team": team,
        "x_CostCenter": line["cost_center"], "x_Source": line["source"], "x_Requests": line["requests"],
        "x_UnpricedRequests": unpriced, "x_InputTokens": line["input_tokens"],
        "x_OutputTokens": line["output_tokens"], "x_CacheWrite5mTokens": line["cache_write_5m_tokens"],
        "x_CacheWrite1hTokens": line["cache_write_1h_tokens"], "x_CacheReadTokens": line["cache_read_tokens"],
        "x_WebSearchRequests": line["web_search_requests"],
        "x_ChargebackCostCenter": ", ".join(dimensions.get("cost_center", ())),
    }


def _tags(line: dict, dimensions: dict) -> dict:
    """The allocation dimensions a FinOps tool groups by, as provider-defined (costdash/) keys:
    developer, team, cost center, source, and the row's chargeback dimensions (project, api_key,
    workspace, litellm_team, litellm_tags, otel.<attribute>, chargeback_cost_center), several values
    of one joined by ", " (a day's requests may name several projects)."""
    tags = {"developer": line["developer"], "developer_email": line["email"], "team": line["team"],
            "cost_center": line["cost_center"], "source": line["source"]}
    for name, values in dimensions.items():
        tags[TAG_NAMES.get(name, name)] = ", ".join(values)
    return {f"{TAG_PREFIX}{key}": value for key, value in tags.items() if value}


class FocusExporter(Exporter):
    """``month``'s FOCUS file: one sheet (SHEET), its rows read from the database as it is written."""

    def __init__(self, month: date):
        scope = month_scope(month)
        self.month = scope.since
        # Provisional as the monthly report is (not over, or days to recompute): the file is named so.
        reasons = _provisional_reasons(scope, org_today())
        super().__init__(
            kind="focus",
            title=f"costdash FOCUS {FOCUS_VERSION} cost and usage: {self.month:%B %Y}",
            subtitle="One row per developer, day, model and source, in FinOps FOCUS columns.",
            banner="Provisional: these figures may still change." if reasons else "",
            provisional=bool(reasons),
        )

    def sheet_keys(self) -> list[str]:
        return [SHEET]

    def sheets(self) -> list[Sheet]:
        return [Sheet(SHEET, "FOCUS cost and usage", COLUMNS, focus_rows(self.month), None, in_pdf=False)]


def focus_exporter(month: date) -> Exporter:
    return FocusExporter(month)
