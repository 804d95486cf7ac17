"""A month worked out by hand for the report tests, and the files they write kept under tmp_path.

March 2026 is tests/team_usage.py with base March 1 (its day -2 falls in February and is left out),
plus Cy (team Gamma) on March 5. Cost centers: Alpha and Gamma are CC-100, Beta CC-200.

Ana (Alpha)  days 1 $15.50 (sonnet $10 + opus $5.50 otel), 2 $31.00, 12 $13.00, 15 mystery-model 4
             unpriced requests ($0, active) -> $59.50, 4 active days, avg 14.875, P90 26.35, 1 day
             over $30; requests 13 + 20 + 10 + 4 = 47 (4 unpriced); tokens input 600, cache write
             5m 200, 1h 100, cache read 3100 -> hit rate 3100/4000 = 0.775; main model sonnet
Bo (Beta)    days 1 $30 (+ claude-new 2 unpriced requests), 13 opus $20, 18 $6, 19 $4 -> $60, 4 active
             days, avg 15, P90 27, none over $30; requests 5 + 2 + 4 + 3 + 2 = 16 (2 unpriced); input
             300, cache read 100 -> 0.25
Cy (Gamma)   March 5 sonnet $12.25, 6 requests, input 1000, output 500 -> hit rate 0

Totals: $131.75 over 9 active developer-days (avg 14.6388…), 3 developers, 1 day over $30, 69
requests (6 unpriced). Team P90 of 0, 4, 6, 12.25, 13, 15.50, 20, 30, 31: h = 8 × 0.9 = 7.2 ->
30 + 0.2 × 1 = 30.20. Teams: Beta $60, Alpha $59.50, Gamma $12.25. Cost centers: CC-100 $71.75
(Alpha, Gamma; 5 active days; P90 of 0, 12.25, 13, 15.50, 31: h = 3.6 -> 15.50 + 0.6 × 15.50 =
24.80), CC-200 $60. Models: sonnet 54 + 40 + 12.25 = $106.25, opus $25.50, mystery-model and
claude-new unpriced. Sources: Claude Code transcripts $126.25, OpenTelemetry $5.50.
"""
from datetime import date, datetime, timezone
from decimal import Decimal as D

from django.contrib.auth.models import Group
import pytest

from costdash.accounts.models import Team
from costdash.ingest.models import BilledCost, UsageAggregate
from tests.factories import DailyCostFactory, DeveloperFactory, TeamFactory, UserFactory
from tests.team_usage import team_usage

MARCH = date(2026, 3, 1)
APRIL_15 = date(2026, 4, 15)  # March is over: final


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def march(db):
    ana = DeveloperFactory(email="ana@example.com", name="Ana")
    found = team_usage(ana, MARCH)
    cy = DeveloperFactory(email="cy@example.com", name="Cy", team=TeamFactory(name="Gamma"))
    DailyCostFactory(developer=cy, day=date(2026, 3, 5), model="sonnet", requests=6, cost=D("12.25"),
                     input_tokens=1000, output_tokens=500)
    Team.objects.filter(name__in=["Alpha", "Gamma"]).update(cost_center="CC-100")
    Team.objects.filter(name="Beta").update(cost_center="CC-200")
    return found | {"cy": cy}


def billed(workspace: str, day: date, model: str, amount: str, line: str = "tokens") -> BilledCost:
    return BilledCost.objects.create(key=f"t|{workspace}|{day}|{model}|{line}", day=day, workspace=workspace,
                                     model=model, description=line, amount=D(amount))


def usage(workspace: str, day: date, model: str, cost: str | None, *, hour: int = 0, width: str = "1d",
          source: str = "anthropic_usage") -> UsageAggregate:
    start = datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)
    return UsageAggregate.objects.create(
        key=f"t|{source}|{workspace}|{model}|{start.isoformat()}|{width}", source=source, start=start, width=width,
        model=model, raw_model=model, workspace=workspace, input_tokens=1000, cost=None if cost is None else D(cost),
    )


@pytest.fixture
def cost_reports(db):
    """March 2026 (UTC days), by workspace and model:

    wrkspc_A sonnet   billed 2 × (2.50 + 1.50) = 8.00; priced 3.90 on March 1 and 2 (daily buckets; March 2
                      was also imported hourly, 1.00 + 2.00, not read) = 7.80; difference 0.20
    wrkspc_A opus     billed 10.00, no usage; difference 10.00
    wrkspc_A (none)   billed 0.50 (a web-search line names no model); difference 0.50
    wrkspc_B sonnet   not billed; priced 4.00 (March 4) and an unpriced row (March 7); difference -4.00
    wrkspc_B haiku    not billed; only an unpriced row: priced unknown, difference unknown
    Default (no id)   sonnet billed 1.25, priced 1.00; difference 0.25
    Totals: billed 19.75, priced 12.80, difference 6.95, 2 unpriced rows.
    Outside the month or not the usage report (not counted): billed Feb 28, usage April 1, a Claude Code
    Analytics row with no workspace."""
    sonnet, opus, haiku = "claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5"
    for day in (date(2026, 3, 1), date(2026, 3, 2)):
        billed("wrkspc_A", day, sonnet, "2.50", "input")
        billed("wrkspc_A", day, sonnet, "1.50", "output")
        usage("wrkspc_A", day, sonnet, "3.90")
    usage("wrkspc_A", date(2026, 3, 2), sonnet, "1.00", hour=10, width="1h")
    usage("wrkspc_A", date(2026, 3, 2), sonnet, "2.00", hour=11, width="1h")
    billed("wrkspc_A", date(2026, 3, 3), opus, "10.00")
    billed("wrkspc_A", date(2026, 3, 3), "", "0.50", "web search")
    usage("wrkspc_B", date(2026, 3, 4), sonnet, "4.00")
    usage("wrkspc_B", date(2026, 3, 7), sonnet, None)
    usage("wrkspc_B", date(2026, 3, 5), haiku, None)
    billed("", date(2026, 3, 31), sonnet, "1.25")
    usage("", date(2026, 3, 31), sonnet, "1.00")
    billed("wrkspc_A", date(2026, 2, 28), sonnet, "99.00")
    usage("wrkspc_A", date(2026, 4, 1), sonnet, "99.00")
    usage("", date(2026, 3, 6), sonnet, "50.00", source="claude_code_analytics")


def billing_member(username: str, email: str, *, active: bool = True):
    user = UserFactory(username=username, email=email, is_active=active)
    user.groups.add(Group.objects.get_or_create(name="billing")[0])
    return user
