"""Plan advice: what each developer's API spend would have cost on a subscription plan instead.

For each developer and month of a window, API spend (DeveloperDay.cost: priced requests only) is set
against each plan's monthly price in force on the month's first day (prices.plan_prices).

- A plan is cheaper than the API in a month when its price is strictly below that month's spend; at an
  equal figure the developer stays on the API. ``saving`` = spend - price (negative: the plan costs
  more); ``ratio`` = spend / price, rounded half up to 6 places. The breakeven of a plan is its price:
  the monthly API spend above which it is cheaper. ``passes_on``: the day the month's running spend
  first went above the price (only with ``with_days``).
- The month's cheapest option is the lowest cost among the API and the plans priced that month (ties:
  the API, then the plans in Plan order). The window's choice for a developer is the one option
  with the lowest total over the window; a plan unpriced in any month of the window is left out of it.
- The team's mix puts every developer on their own cheapest option; it is compared with today's API
  spend, month by month and over the window.
- Unpriced requests are not $0: spend leaves them out, so a month with any is flagged (its spend is a
  lower bound, so a plan found cheaper is cheaper still).

Subscription usage limits and rate limits are NOT modelled: a plan is taken to cover any usage,
which a heavy API user may not fit in (LIMITS_NOT_MODELLED says so on the page and in the API).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from costdash.accounts.models import Developer
from costdash.lib.money import ZERO
from costdash.rollups.models import DailyCost, DeveloperDay

from .models import PLAN_ORDER, Plan, PlanPrice
from .prices import PlanPriceRow, month_end, plan_prices

API = "api"
API_LABEL = "API (pay per token)"
RATIO_PLACES = Decimal("0.000001")
LIMITS_NOT_MODELLED = (
    "Subscription usage limits and rate limits are not modelled: each plan is compared on its price alone, "
    "as if it covered any amount of use. A heavy API user may not fit in a plan's limits (Pro's, or Max's 5x "
    "or 20x of Pro's) and would be slowed or stopped, or need extra usage, on it."
)


def option_label(key: str) -> str:
    return API_LABEL if key == API else Plan(key).label


def counts_text(counts: dict[str, int]) -> str:
    """"API (pay per token): 3, Pro: 2": how many developers each option has, the API first."""
    keys = sorted(counts, key=lambda key: (key != API, PLAN_ORDER.get(key, 0)))
    return ", ".join(f"{option_label(key)}: {counts[key]}" for key in keys)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    return (numerator / denominator).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Option:
    key: str  # API or a Plan value
    label: str
    cost: Decimal


@dataclass(frozen=True)
class PlanMonth:
    plan: str
    label: str
    price: Decimal | None  # None: no published price that month
    saving: Decimal | None
    ratio: Decimal | None
    passes_on: date | None

    @property
    def dearer_by(self) -> Decimal | None:
        """How much more than the API the plan cost that month (None when it did not)."""
        return -self.saving if self.saving is not None and self.saving < 0 else None


@dataclass(frozen=True)
class DeveloperMonth:
    month: date
    spend: Decimal
    unpriced_requests: int
    plans: list[PlanMonth]
    cheapest: Option


@dataclass(frozen=True)
class DeveloperAdvice:
    developer: Developer
    months: list[DeveloperMonth]
    spend: Decimal  # API spend over the window
    unpriced_requests: int
    totals: list[Option]  # the API, then each plan priced in every month of the window
    best: Option
    saving: Decimal  # spend - best.cost (>= 0)
    months_cheaper: dict[str, int]  # plan -> months in which it was cheaper than the API

    @property
    def cheaper_months(self) -> list[tuple[str, int]]:
        """(plan label, months it was cheaper) for the plans cheaper in any month, in Plan order."""
        return [(option_label(plan), count) for plan, count in self.months_cheaper.items() if count]


@dataclass(frozen=True)
class TeamMonth:
    month: date
    spend: Decimal
    mix: Decimal
    saving: Decimal
    counts: dict[str, int]  # option key -> developers on it

    @property
    def counts_text(self) -> str:
        return counts_text(self.counts)


@dataclass(frozen=True)
class TeamTotals:
    name: str
    developers: int
    spend: Decimal
    mix: Decimal
    saving: Decimal


@dataclass(frozen=True)
class Advice:
    months: list[date]
    partial_through: date | None  # the last day counted when the window's last month is not over
    prices: dict[date, dict[str, PlanPriceRow | None]]
    developers: list[DeveloperAdvice]
    by_month: list[TeamMonth]
    spend: Decimal
    mix: Decimal
    saving: Decimal
    mix_counts: dict[str, int]
    teams: list[TeamTotals]
    limits_note: str = LIMITS_NOT_MODELLED

    @property
    def mix_text(self) -> str:
        return counts_text(self.mix_counts)


def window_months(last: date, count: int) -> list[date]:
    """The ``count`` month starts ending with ``last``'s month, oldest first."""
    months, year, month = [], last.year, last.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _monthly(developers, first: date, last: date) -> tuple[dict, dict]:
    """(spend, unpriced requests) per (developer id, month start), from the rollups."""
    days = {"developer__in": developers, "day__gte": first, "day__lte": last}
    spend = {
        (row["developer_id"], row["month"]): row["cost"]
        for row in DeveloperDay.objects.filter(**days).annotate(month=TruncMonth("day"))
        .values("developer_id", "month").annotate(cost=Sum("cost"))
    }
    unpriced = {
        (row["developer_id"], row["month"]): row["n"]
        for row in DailyCost.objects.filter(unpriced_requests__gt=0, **days).annotate(month=TruncMonth("day"))
        .values("developer_id", "month").annotate(n=Sum("unpriced_requests"))
    }
    return spend, unpriced


def _passing_days(developer_ids, first: date, last: date, thresholds: set[Decimal]) -> dict:
    """(developer id, month, price) -> the first day the month's running spend went above the price."""
    passed, running = {}, defaultdict(lambda: ZERO)
    rows = (DeveloperDay.objects.filter(developer__in=developer_ids, day__gte=first, day__lte=last)
            .order_by("developer_id", "day").values_list("developer_id", "day", "cost"))
    for developer_id, day, cost in rows:
        key = (developer_id, day.replace(day=1))
        before, running[key] = running[key], running[key] + cost
        for price in thresholds:
            if before <= price < running[key]:
                passed[(*key, price)] = day
    return passed


def _cheapest(options: list[Option]) -> Option:
    """The lowest cost; ties go to the earliest in ``options`` (the API first, then Plan order)."""
    return min(options, key=lambda option: option.cost)  # min keeps the first of equal keys


def _developer_month(developer_id, month, spend, unpriced, prices, passed) -> DeveloperMonth:
    plans, options = [], [Option(API, API_LABEL, spend)]
    for plan, row in prices.items():
        price = row.monthly_price if row else None
        label = row.label if row else plan
        plans.append(PlanMonth(
            plan=plan, label=label, price=price,
            saving=None if price is None else spend - price,
            ratio=None if price is None else ratio(spend, price),
            passes_on=None if price is None else passed.get((developer_id, month, price)),
        ))
        if price is not None:
            options.append(Option(plan, label, price))
    return DeveloperMonth(month=month, spend=spend, unpriced_requests=unpriced, plans=plans,
                          cheapest=_cheapest(options))


def _developer_advice(developer, months, spend, unpriced, prices, passed, memo: dict) -> DeveloperAdvice:
    rows = []
    for month in months:
        figures = (month, spend.get((developer.pk, month), ZERO), unpriced.get((developer.pk, month), 0))
        # Without passing days a month's advice depends on its figures alone: developers with the same
        # figures (most often $0) share one immutable row.
        row = memo.get(figures) if not passed else None
        if row is None:
            row = memo[figures] = _developer_month(developer.pk, *figures, prices[month], passed)
        rows.append(row)
    total = sum((row.spend for row in rows), ZERO)
    totals = [Option(API, API_LABEL, total)]
    months_cheaper = {}
    for index, plan in enumerate(prices[months[0]]):
        in_month = [row.plans[index] for row in rows]
        months_cheaper[plan] = sum(1 for item in in_month if item.saving is not None and item.saving > 0)
        if all(item.price is not None for item in in_month):
            totals.append(Option(plan, in_month[-1].label, sum((item.price for item in in_month), ZERO)))
    best = _cheapest(totals)
    return DeveloperAdvice(
        developer=developer, months=rows, spend=total, unpriced_requests=sum(row.unpriced_requests for row in rows),
        totals=totals, best=best, saving=total - best.cost, months_cheaper=months_cheaper,
    )


def _team_months(months: list[date], developers: list[DeveloperAdvice]) -> list[TeamMonth]:
    out = []
    for index, month in enumerate(months):
        rows = [advice.months[index] for advice in developers]
        spend = sum((row.spend for row in rows), ZERO)
        mix = sum((row.cheapest.cost for row in rows), ZERO)
        counts = defaultdict(int)
        for row in rows:
            counts[row.cheapest.key] += 1
        out.append(TeamMonth(month=month, spend=spend, mix=mix, saving=spend - mix, counts=dict(counts)))
    return out


def _team_totals(developers: list[DeveloperAdvice]) -> list[TeamTotals]:
    groups = defaultdict(list)
    for advice in developers:
        team = advice.developer.team
        groups[team.name if team else ""].append(advice)
    out = []
    for name in sorted(groups, key=lambda name: (name == "", name.lower())):  # "No team" last
        members = groups[name]
        spend = sum((advice.spend for advice in members), ZERO)
        mix = sum((advice.best.cost for advice in members), ZERO)
        out.append(TeamTotals(name=name, developers=len(members), spend=spend, mix=mix, saving=spend - mix))
    return out


def plan_advice(developers, months: list[date], *, through: date, with_days: bool = False) -> Advice:
    """The advice for ``developers`` (a Developer queryset the viewer may see) over ``months`` (month
    starts, oldest first). Days after ``through`` (the org's today) are not counted. Only developers
    with a rollup row in the window are advised. ``with_days``: also each plan's ``passes_on``."""
    first, last = months[0], min(month_end(months[-1]), through)
    spend, unpriced = _monthly(developers, first, last)
    table = list(PlanPrice.objects.all())
    prices = {month: plan_prices(month, table) for month in months}
    ids = {developer_id for developer_id, _ in spend} | {developer_id for developer_id, _ in unpriced}
    passed = {}
    if with_days and ids:
        thresholds = {row.monthly_price for by_plan in prices.values() for row in by_plan.values()
                      if row and row.monthly_price is not None}
        passed = _passing_days(ids, first, last, thresholds)
    people = Developer.objects.filter(pk__in=ids).select_related("team").order_by("name", "email")
    memo = {}
    advised = [_developer_advice(person, months, spend, unpriced, prices, passed, memo) for person in people]
    advised.sort(key=lambda advice: (-advice.saving, -advice.spend, advice.developer.display_name.lower()))
    total = sum((advice.spend for advice in advised), ZERO)
    mix = sum((advice.best.cost for advice in advised), ZERO)
    mix_counts = defaultdict(int)
    for advice in advised:
        mix_counts[advice.best.key] += 1
    return Advice(
        months=months, partial_through=last if last < month_end(months[-1]) else None, prices=prices,
        developers=advised, by_month=_team_months(months, advised), spend=total, mix=mix, saving=total - mix,
        mix_counts=dict(mix_counts),
        teams=_team_totals(advised),
    )
