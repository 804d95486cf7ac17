"""Spend against a limit, computed by hand from the org_usage fixture (tests/limits/conftest.py).

March 2026 as of March 10: spend to date = 9 days × $14 + $3 = $129. Burn rate = the 7 full days
before today (March 3–9) = 7 × $14 / 7 = $14/day. Projection = $129 + 21 days left × $14 = $423.
"""
from datetime import date
from decimal import Decimal

import pytest

from costdash.limits.selectors import OK, OVER, PROJECTION, SHARE, WARNING, classify, limits_status
from tests.factories import DailyCostFactory, DeveloperFactory
from tests.limits.conftest import MARCH_10, org_limit

pytestmark = pytest.mark.django_db
D = Decimal


def only(today=MARCH_10, month=None):
    [status] = limits_status(today, month)
    return status


def test_month_to_date_burn_rate_projection_and_hit_day(org_usage):
    org_limit("400")
    status = only()
    assert (status.month_start, status.month_end, status.as_of, status.final) == (
        date(2026, 3, 1), date(2026, 3, 31), MARCH_10, False)
    assert status.spend == D("129.00")
    assert status.burn_rate == D("14.00")
    assert status.projected == D("423.00")
    # $400 − $129 = $271 to go; 271 / 14 = 19.36 → the 20th day after today: $129 + 20 × $14 = $409 > $400.
    assert status.hit_day == date(2026, 3, 30) and status.hit_is_projected
    # $129 < 0.8 × $400 = $320, but $423 > $400: warning by projection only.
    assert (status.status, status.reasons) == (WARNING, (PROJECTION,))
    assert status.share_used_percent == D("32.3")  # 129 / 400 = 32.25% → 32.3
    assert status.percent_used == 32
    assert status.basis == "counted" and status.unpriced == 3  # Ada's March 5; February's 5 are not March's
    assert status.daily[date(2026, 3, 1)] == D("14.00") and status.daily[MARCH_10] == D("3.00")


def test_projection_exactly_at_the_limit_is_ok_and_not_reached_this_month(org_usage):
    org_limit("423")
    status = only()
    # $423 − $129 = $294 = 21 days × $14: the month ends exactly at the limit, which is not over it.
    assert status.projected == D("423.00")
    assert (status.status, status.reasons, status.hit_day) == (OK, (), None)


def test_spend_exactly_at_the_limit_is_a_warning_not_over(org_usage):
    org_limit("129")
    status = only()
    # $129 is not more than $129; it is ≥ 0.8 × $129 and the projection $423 > $129: both reasons.
    assert (status.status, status.reasons) == (WARNING, (SHARE, PROJECTION))
    assert status.hit_day == date(2026, 3, 11)  # one more day's burn passes it
    assert status.over_by == 0
    assert len(status.reason_texts) == 2 and "$129.00" in status.reason_texts[0] and "80%" in status.reason_texts[0]


def test_spend_exactly_at_the_warning_share_warns(org_usage):
    # 0.8 × $161.25 = $129.00 exactly.
    org_limit("161.25")
    assert SHARE in only().reasons


def test_one_cent_over_is_over_and_the_hit_day_is_the_day_it_happened(org_usage):
    org_limit("128.99")
    status = only()
    # Running total: $126 on March 9, $129 on March 10 (> $128.99).
    assert (status.status, status.hit_day, status.hit_is_projected) == (OVER, MARCH_10, False)
    assert status.over_by == D("0.01")
    assert status.percent_used == 100  # the bar is capped; the text says 100.0%
    assert status.share_used_percent == D("100.0")


def test_early_in_the_month_the_burn_rate_reads_the_previous_month(org_usage):
    # As of March 2: to date $14 (March 1) + $14 (March 2) = $28. Burn window Feb 23 – March 1:
    # 6 × $7 + $14 = $56 / 7 = $8/day. Projection: $28 + 29 × $8 = $260.
    org_limit("1000")
    status = only(today=date(2026, 3, 2))
    assert (status.spend, status.burn_rate, status.projected) == (D("28.00"), D("8.00"), D("260.00"))
    assert status.unpriced == 0  # February 28's unpriced requests are in the burn window, not in March


def test_a_past_month_shows_its_final_spend_without_projection(org_usage):
    # February: $100 + 6 × $7 = $142. Running: $100 (Feb 10), $107, $114, $121 on Feb 25 > $120.
    org_limit("120")
    status = only(today=MARCH_10, month=date(2026, 2, 1))
    assert (status.final, status.as_of, status.month_end) == (True, date(2026, 2, 28), date(2026, 2, 28))
    assert (status.spend, status.burn_rate, status.projected) == (D("142.00"), None, None)
    assert (status.status, status.hit_day, status.hit_is_projected) == (OVER, date(2026, 2, 25), False)
    assert status.unpriced == 5


@pytest.mark.parametrize("amount, expected", [("150", (WARNING, (SHARE,))), ("200", (OK, ()))])
def test_a_past_month_warns_on_its_spend_only(org_usage, amount, expected):
    # $142 ≥ 0.8 × $150 = $120 → warning; < 0.8 × $200 = $160 → ok, though its last week ran at
    # $7/day: a finished month has no projection to warn about.
    org_limit(amount)
    status = only(month=date(2026, 2, 1))
    assert (status.status, status.reasons) == expected
    assert status.hit_day is None


def test_a_month_not_started_is_refused(org_usage):
    org_limit("100")
    with pytest.raises(ValueError, match="April 2026 has not started"):
        limits_status(MARCH_10, date(2026, 4, 1))


def test_no_spend_is_zero_and_ok(db):
    org_limit("100")
    status = only()
    assert (status.spend, status.burn_rate, status.projected, status.status, status.hit_day) == (
        D(0), D(0), D(0), OK, None)


def test_model_and_source_rows_of_one_day_add_up(db):
    dev = DeveloperFactory()
    DailyCostFactory(developer=dev, day=MARCH_10, model="claude-opus-4-6", cost=D("1.25"))
    DailyCostFactory(developer=dev, day=MARCH_10, model="claude-sonnet-4-6", cost=D("0.75"))
    DailyCostFactory(developer=dev, day=MARCH_10, source="otel", cost=D("2.00"))
    org_limit("100")
    assert only().spend == D("4.00")


def test_every_limit_is_listed_org_first_in_few_queries(org_usage, workspace_reports, django_assert_max_num_queries):
    from tests.limits.conftest import workspace_limit

    workspace_limit("wrkspc_B", "10")
    workspace_limit("wrkspc_A", "100")
    org_limit("400")
    with django_assert_max_num_queries(4):  # limits, billed, usage, org spend
        statuses = limits_status(MARCH_10)
    assert [str(s.limit) for s in statuses] == ["Org limit", "Workspace wrkspc_A limit", "Workspace wrkspc_B limit"]


@pytest.mark.parametrize(
    "spend, projected, expected",
    [
        ("79.99", None, (OK, ())),
        ("80.00", None, (WARNING, (SHARE,))),  # exactly 0.8 × $100
        ("100.00", None, (WARNING, (SHARE,))),  # exactly the limit: not over
        ("100.01", None, (OVER, ())),
        ("10.00", "100.00", (OK, ())),  # projected exactly at the limit
        ("10.00", "100.01", (WARNING, (PROJECTION,))),
        ("90.00", "150.00", (WARNING, (SHARE, PROJECTION))),
        ("150.00", "300.00", (OVER, ())),
    ],
)
def test_status_thresholds(spend, projected, expected):
    assert classify(D(spend), None if projected is None else D(projected), D("100"), D("0.8")) == expected
