"""The day's shape: shares done by a local time, the fallbacks (own, team, org, straight line), the
projection's floor, and the grouped read of HourlyCost, against hand-worked figures."""
from datetime import date, time, timedelta
from decimal import Decimal as D

import pytest

from costdash.lib.money import to_cents
from costdash.rollups.day_shape import (
    DEVELOPER,
    HISTORY_DAYS,
    LINEAR,
    LINEAR_SHAPE,
    ORG,
    TEAM,
    HourTotals,
    day_shapes_build,
    paced_day,
    projected_day,
    shape_choose,
    shape_of,
)
from costdash.rollups.models import HourlyCost
from costdash.rollups.selectors.day_shapes import day_shapes
from tests.factories import DeveloperFactory, TeamFactory


def totals(days: int, **hours: str) -> HourTotals:
    """HourTotals from h9="10.00" style keywords."""
    t = HourTotals(days=days)
    for key, cost in hours.items():
        t.costs[int(key[1:])] = D(cost)
    return t


def test_share_done_adds_the_whole_hours_before_and_the_part_of_the_hour_passed():
    # $10 in the 09 hour, $30 in the 10 hour, $60 in the 14 hour: $100 in all.
    shape = shape_of(totals(20, h9="10", h10="30", h14="60"), DEVELOPER)
    assert (shape.basis, shape.days) == (DEVELOPER, 20)
    assert shape.share_done(time(8, 59)) == 0
    assert shape.share_done(time(9, 30)) == D("0.05")  # half of the 09 hour's 10%
    assert shape.share_done(time(10, 0)) == D("0.10")
    assert shape.share_done(time(10, 15)) == D("0.175")  # 10% + a quarter of 30%
    assert shape.share_done(time(12, 0)) == D("0.40")
    assert shape.share_done(time(15, 0)) == 1
    assert shape_of(totals(20), DEVELOPER) is None  # no spend: no shape


def test_the_straight_line_is_the_share_of_the_clock():
    assert LINEAR_SHAPE.share_done(time(6, 0)) == D("0.25")
    assert LINEAR_SHAPE.share_done(time(18, 0)) == D("0.75")


def test_own_shape_then_the_teams_then_the_orgs_then_the_straight_line():
    own, team, org = totals(14, h9="1"), totals(28, h10="1"), totals(28, h11="1")
    assert shape_choose(own, team, org).basis == DEVELOPER  # 14 days of their own: enough
    assert shape_choose(totals(13, h9="1"), team, org).basis == TEAM  # 13: too few
    assert shape_choose(totals(13, h9="1"), totals(27, h10="1"), org).basis == ORG
    assert shape_choose(None, None, totals(27, h11="1")) is LINEAR_SHAPE
    assert shape_choose(totals(20), team, org).basis == TEAM  # days, but no spend in them
    assert shape_choose(totals(13, h9="1"), team, org).share_done(time(11)) == 1  # the team's: all by 11:00


def test_the_projection_counts_today_so_far_with_one_usual_day():
    # $100 over 20 days: a usual day is $5. At 10:15, 17.5% done.
    shape = shape_of(totals(20, h9="10", h10="30", h14="60"), DEVELOPER)
    assert shape.average == D("5")
    share = shape.share_done(time(10, 15))
    # $9 so far: 9 + 0.825 x (9 + 5) / 1.175 = 9 + 9.83 (today's pace alone would say 9 / 0.175 = $51.43).
    assert to_cents(projected_day(D("9"), share, shape)) == D("18.83")
    assert to_cents(paced_day(D("9"), share, shape)) == D("51.43")
    # A runaway morning still shows: $25 -> 25 + 0.825 x 30 / 1.175 = $46.06.
    assert to_cents(projected_day(D("25"), share, shape)) == D("46.06")
    assert to_cents(projected_day(D("9"), D("0.10"), shape)) == D("20.45")  # 9 + 0.9 x 14 / 1.1
    assert projected_day(D("0"), share, shape) is None  # nothing spent today: no projection


def test_the_projection_waits_for_a_tenth_of_the_day_and_the_line_for_two_hours():
    shape = shape_of(totals(20, h9="10", h10="30", h14="60"), DEVELOPER)
    assert projected_day(D("9"), shape.share_done(time(9, 59)), shape) is None  # 9.8% done: too early
    assert projected_day(D("5"), D(1) / 24, LINEAR_SHAPE) is None  # 01:00
    assert projected_day(D("5"), D(2) / 24, LINEAR_SHAPE) == D("60")  # 02:00: the straight line is today's pace
    assert projected_day(D("5"), D(1), shape) is None  # the day is over


def test_teams_and_the_org_pool_their_developers_hours():
    # Ana (10 days) and Bo (20 days) in team 1, Cy (5 days) in no team.
    shapes = day_shapes_build(
        [(1, 9, D("10")), (1, 10, D("30")), (2, 14, D("60")), (3, 9, D("5"))],
        {1: 10, 2: 20, 3: 5}, {1: 1, 2: 1, 3: None},
    )
    ana = shapes.shape(1, 1)  # 10 days of her own: the team's 30
    assert (ana.basis, ana.days, ana.share_done(time(10))) == (TEAM, 30, D("0.10"))
    cy = shapes.shape(3, None)  # no team: the org's 35 days, $15 of $105 before 10:00
    assert (cy.basis, cy.days, cy.share_done(time(10))) == (ORG, 35, D(15) / D(105))
    newcomer = shapes.shape(4, 1)  # no history at all: the team's
    assert newcomer.basis == TEAM
    assert day_shapes_build([], {}, {}).shape(1, None).basis == LINEAR


@pytest.mark.django_db
def test_the_read_takes_the_history_window_before_the_day_only():
    today = date(2026, 6, 30)
    team = TeamFactory(name="Data")
    ana, bo = DeveloperFactory(name="Ana", team=team), DeveloperFactory(name="Bo", team=None)
    rows = [HourlyCost(developer=ana, day=today - timedelta(days=n), hour=9, cost=D("4.00")) for n in range(1, 15)]
    rows += [
        HourlyCost(developer=ana, day=today - timedelta(days=1), hour=15, cost=D("2.00")),  # a second hour, same day
        HourlyCost(developer=ana, day=today - timedelta(days=HISTORY_DAYS), hour=20, cost=D("6.00")),  # first in
        HourlyCost(developer=ana, day=today - timedelta(days=HISTORY_DAYS + 1), hour=20, cost=D("500")),  # out
        HourlyCost(developer=ana, day=today, hour=1, cost=D("500")),  # today itself: out
        HourlyCost(developer=ana, day=today - timedelta(days=2), hour=22, requests=3, unpriced_requests=3),  # $0
        HourlyCost(developer=bo, day=today - timedelta(days=3), hour=9, cost=D("1.00")),
    ]
    HourlyCost.objects.bulk_create(rows)
    shapes = day_shapes(today)
    # Ana: 15 days with spend; $56 at 09, $2 at 15, $6 at 20 = $64.
    assert shapes.own[ana.pk].days == 15
    assert shapes.own[ana.pk].costs[9] == D("56.00") and shapes.own[ana.pk].total == D("64.00")
    shape = shapes.shape(ana.pk, team.pk)
    assert (shape.basis, shape.share_done(time(12))) == (DEVELOPER, D(56) / D(64))
    assert shapes.teams[team.pk].days == 15 and shapes.org.days == 16
    assert shapes.shape(bo.pk, None).basis == LINEAR  # 1 day of his own; the org's 16 are too few
