"""Month-to-date spend against the org limit and a workspace's: 50/80/100% reached, or projected."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from costdash.alerts.models import AlertEvent, AlertRule
from tests.factories import DailyCostFactory, DeveloperFactory
from tests.limits.conftest import billed, org_limit, workspace_limit

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)


@pytest.fixture
def rules(default_rules):
    AlertRule.objects.exclude(kind__in=["limit_share", "limit_projected"]).update(enabled=False)
    return default_rules


@pytest.fixture
def november(db):
    """$30 a day Nov 1-19 and $10 so far on Nov 20: $580 to date; burn rate $30, 10 days left:
    projected $880."""
    ana = DeveloperFactory(name="Ana")
    for n in range(1, 20):
        DailyCostFactory(developer=ana, day=date(2026, 11, n), cost=Decimal("30.00"))
    DailyCostFactory(developer=ana, day=date(2026, 11, 20), cost=Decimal("10.00"))
    return ana


def raised():
    return sorted((e.rule.kind, e.rule.threshold, e.figure, e.threshold) for e in AlertEvent.objects.all())


def test_the_shares_reached_alert_once_each(rules, november, evaluate):
    limit = org_limit("1000")
    evaluate(now=NOW)  # 58%: the 50% rule only; the month projects to 88%
    assert raised() == [("limit_share", Decimal("50.00"), Decimal("580"), Decimal("500"))]
    event = AlertEvent.objects.get()
    assert (event.subject_key, event.day, event.link) == (f"limit:{limit.pk}", date(2026, 11, 1), "/limits/?month=2026-11")
    assert event.summary == ("Org limit: $580.00 spent in November 2026 to 2026-11-20, 58.0% of the $1,000.00 limit, "
                             "has reached 50% ($500.00).")
    evaluate(now=NOW)
    assert AlertEvent.objects.count() == 1


def test_a_projection_over_the_limit_alerts_before_it_is_reached(rules, november, evaluate):
    org_limit("850")  # $580 is 68%; the month projects to $880, over 100%
    evaluate(now=NOW)
    assert raised() == [("limit_projected", Decimal("100.00"), Decimal("880"), Decimal("850")),
                        ("limit_share", Decimal("50.00"), Decimal("580"), Decimal("425"))]
    projected = AlertEvent.objects.get(rule__kind="limit_projected")
    assert projected.summary == ("Org limit: at $30.00 a day, November 2026 ends at $880.00, at or over 100% of the "
                                 "$850.00 limit ($850.00); $580.00 spent so far.")


def test_reaching_the_whole_limit_raises_every_share_and_next_month_starts_again(rules, november, evaluate):
    org_limit("580")
    evaluate(now=NOW)
    assert [(kind, share) for kind, share, _, _ in raised()] == [
        ("limit_projected", Decimal("100.00")), ("limit_share", Decimal("50.00")), ("limit_share", Decimal("80.00")),
        ("limit_share", Decimal("100.00"))]
    DailyCostFactory(developer=november, day=date(2026, 12, 1), cost=Decimal("300.00"))
    evaluate(now=NOW + timedelta(days=11))  # December 1: $300 is 52% of this month's limit
    december = AlertEvent.objects.filter(day=date(2026, 12, 1))
    assert [(e.rule.kind, e.rule.threshold) for e in december] == [("limit_share", Decimal("50.00"))]


def test_a_workspace_limit_alerts_on_its_billed_spend(rules, evaluate):
    limit = workspace_limit("wrkspc_A", "100")
    for n in range(1, 10):
        billed("wrkspc_A", date(2026, 11, n), "10.00")  # $90 by Nov 9
    evaluate(now=NOW)
    assert {(e.subject_key, e.rule.threshold) for e in AlertEvent.objects.filter(rule__kind="limit_share")} == {
        (f"limit:{limit.pk}", Decimal("50.00")), (f"limit:{limit.pk}", Decimal("80.00"))}
    assert AlertEvent.objects.first().summary.startswith("Workspace wrkspc_A limit: $90.00 spent in November 2026")
