"""Where each budget stands in its current period: spend, share used, the projection to the period's
end and the day the budget is (or will be) gone past.

Spend is counted spend from the rollups (DeveloperDay: each developer's org-local day, unpriced
requests left out, never $0): one developer's, a team's developers' together (the team as it is
now), or, for the default budget, each developer's who has no budget of their own for that period.

The projection is the limits' rule (rollups.projection): the burn rate is the average daily spend of
the 7 full days before today; the period's total is its spend to date (today's partial spend
included) plus the burn rate for each day left after today; the reach day is the day the running
total first goes over the amount, already past or projected. A daily budget has no day left after
today: its projection is today's spend so far (the "on pace" alert rule looks inside the day).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
import math

from django.db.models import Q

from costdash.accounts import roles
from costdash.accounts.models import Developer
from costdash.lib.money import ZERO
from costdash.limits.selectors import org_today
from costdash.rollups.models import DeveloperDay
from costdash.rollups.projection import BURN_DAYS

from .models import Budget, BudgetPush
from .periods import period_bounds, period_label

OK, NEAR, PROJECTED, OVER = "ok", "near", "projected", "over"
STATUS_LABELS = {OK: "Within budget", NEAR: "Near the budget", PROJECTED: "Projected over", OVER: "Over budget"}
NEAR_SHARE = Decimal("0.8")
SCOPE_ORDER = (Budget.Scope.DEVELOPER, Budget.Scope.TEAM, Budget.Scope.DEFAULT)
PERIOD_ORDER = (Budget.Period.DAY, Budget.Period.WEEK, Budget.Period.MONTH)


@dataclass(frozen=True)
class BudgetStatus:
    """One budget for one subject (the default budget: one per developer it covers) in the period
    holding ``today``. ``daily``: spend per day of the window read (the burn window and the period)."""

    budget: Budget
    developer: Developer | None  # the developer it is about (developer and default budgets)
    start: date
    end: date
    today: date
    spend: Decimal
    burn_rate: Decimal
    projected: Decimal
    reach_day: date | None

    @property
    def amount(self) -> Decimal:
        return self.budget.amount

    @property
    def share_used(self) -> Decimal:
        """Spend as a fraction of the amount (1 = all of it; may pass 1)."""
        return self.spend / self.budget.amount

    @property
    def percent_used(self) -> Decimal:
        return (self.share_used * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def meter_percent(self) -> int:
        return min(int(self.share_used * 100), 100)

    @property
    def remaining(self) -> Decimal:
        return self.budget.amount - self.spend

    @property
    def reach_is_projected(self) -> bool:
        return self.reach_day is not None and self.reach_day > self.today

    @property
    def status(self) -> str:
        if self.spend > self.budget.amount:
            return OVER
        if self.projected > self.budget.amount:
            return PROJECTED
        if self.share_used >= NEAR_SHARE:
            return NEAR
        return OK

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def period_label(self) -> str:
        return period_label(self.start, self.budget.period)

    @property
    def subject_label(self) -> str:
        if self.budget.scope == Budget.Scope.DEFAULT and self.developer is not None:
            return f"{self.developer} (default)"
        return self.budget.subject_label


def budget_status(budget: Budget, daily: dict[date, Decimal], today: date, developer=None) -> BudgetStatus:
    """The status of ``budget`` from its subject's spend per day (days with none may be missing),
    which must cover the period so far and the BURN_DAYS days before today."""
    start, end = period_bounds(today, budget.period)
    to_date = sum((v for d, v in daily.items() if start <= d <= today), ZERO)
    window = sum((daily.get(today - timedelta(days=n), ZERO) for n in range(1, BURN_DAYS + 1)), ZERO)
    burn = window / BURN_DAYS
    return BudgetStatus(
        budget=budget, developer=developer, start=start, end=end, today=today, spend=to_date, burn_rate=burn,
        projected=to_date + burn * (end - today).days,
        reach_day=reach_day(budget.amount, daily, start, end, today, window),
    )


def reach_day(amount: Decimal, daily: dict[date, Decimal], start: date, end: date, today: date,
              window: Decimal) -> date | None:
    """The day the running spend from ``start`` first goes over ``amount`` (exactly the amount is not
    over it): a day up to today that did, else the day the burn rate (``window`` / BURN_DAYS a day)
    will, if that is by ``end``. Worked in fractions: a burn rate like $10/7 a day is not a finite
    decimal, and a rounded one would tip a day that lands exactly on the amount over it."""
    running = ZERO
    day = start
    while day <= today:
        running += daily.get(day, ZERO)
        if running > amount:
            return day
        day += timedelta(days=1)
    if window <= 0:
        return None
    # running + n * window / BURN_DAYS > amount  <=>  n > (amount - running) * BURN_DAYS / window
    days = math.floor(Fraction((amount - running) * BURN_DAYS) / Fraction(window)) + 1
    hit = today + timedelta(days=days)
    return hit if hit <= end else None


def window_start(today: date) -> date:
    """The first day any period's status reads: the month's, the week's or the burn window's."""
    return min(today.replace(day=1), today - timedelta(days=today.weekday()), today - timedelta(days=BURN_DAYS))


def _spend_by_developer(developer_ids, today: date) -> dict[int, dict[date, Decimal]]:
    rows = DeveloperDay.objects.filter(day__gte=window_start(today), day__lte=today)
    if developer_ids is not None:
        rows = rows.filter(developer_id__in=developer_ids)
    spend: dict[int, dict[date, Decimal]] = defaultdict(dict)
    for developer_id, day, cost in rows.values_list("developer_id", "day", "cost").order_by():
        spend[developer_id][day] = cost
    return spend


def budgets_status(today: date | None = None, budgets=None, developer_ids=None) -> list[BudgetStatus]:
    """Every budget (or those given) in the period holding ``today`` (default: the org's today). A
    default budget gives one status per developer it covers (of ``developer_ids`` when given).
    In the order of ``budgets`` (default: developers', teams', then the defaults; a default budget's
    developers by name). Three queries."""
    today = today or org_today()
    if budgets is None:  # a developer's, a team's, then the defaults; by period, day first
        budgets = sorted(Budget.objects.select_related("developer", "team"), key=lambda b: (
            SCOPE_ORDER.index(b.scope), PERIOD_ORDER.index(b.period), b.subject_label, b.pk))
    budgets = list(budgets)
    developers = {d.pk: d for d in Developer.objects.select_related("team").order_by("name", "email")
                  if developer_ids is None or d.pk in developer_ids}
    spend = _spend_by_developer(set(developers), today)
    own = {(b.developer_id, b.period) for b in Budget.objects.filter(scope=Budget.Scope.DEVELOPER)}
    statuses = []
    for budget in budgets:
        if budget.scope == Budget.Scope.DEVELOPER:
            if budget.developer_id in developers:
                statuses.append(budget_status(budget, spend.get(budget.developer_id, {}), today, budget.developer))
        elif budget.scope == Budget.Scope.TEAM:
            team_daily: dict[date, Decimal] = defaultdict(lambda: ZERO)
            for developer in developers.values():
                if developer.team_id == budget.team_id:
                    for day, cost in spend.get(developer.pk, {}).items():
                        team_daily[day] += cost
            statuses.append(budget_status(budget, dict(team_daily), today))
        else:
            for developer in developers.values():
                if (developer.pk, budget.period) not in own:
                    statuses.append(budget_status(budget, spend.get(developer.pk, {}), today, developer))
    return statuses


def budgets_of_developer(developer: Developer, today: date | None = None) -> list[BudgetStatus]:
    """The budgets that apply to one developer, each in its current period: their own, and the
    default for any period they have none of their own for. Not their team's: that is other people's
    spend too, which a developer does not see."""
    budgets = Budget.objects.filter(
        Q(scope=Budget.Scope.DEVELOPER, developer=developer) | Q(scope=Budget.Scope.DEFAULT)
    ).select_related("developer", "team")
    return budgets_status(today, budgets, {developer.pk})


def budgets_visible_to(user):
    """The budgets a user may read: all for admins and billing; anyone else their own and the
    default (a team's budget shows the team's spend, other people's too)."""
    budgets = Budget.objects.select_related("developer", "team")
    if roles.sees_all_spend(user):
        return budgets
    developer = Developer.objects.filter(user=user).first() if user.is_authenticated else None
    if developer is None:
        return budgets.none()
    return budgets.filter(Q(developer=developer) | Q(scope=Budget.Scope.DEFAULT))


def last_pushes(budget_ids) -> dict[int, BudgetPush]:
    """Each budget's latest LiteLLM push (set or remove), by budget id."""
    latest: dict[int, BudgetPush] = {}
    for push in BudgetPush.objects.filter(budget_id__in=set(budget_ids)).order_by("budget_id", "-created_at", "-pk"):
        latest.setdefault(push.budget_id, push)
    return latest
