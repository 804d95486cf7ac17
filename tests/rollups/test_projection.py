"""Month projection: burn rate from the 7 full days before today, and the day a limit is reached."""
from datetime import date, timedelta
from decimal import Decimal as D

from costdash.rollups.projection import month_projection, projection_window

TODAY = date(2026, 4, 10)  # April has 30 days: 20 left after today


def test_burn_rate_projection_and_window():
    daily = {date(2026, 4, d): D("10") for d in range(1, 10)}  # $10 a day, Apr 1-9
    daily[TODAY] = D("4")  # today so far
    daily[date(2026, 3, 31)] = D("100")  # outside the month and the window
    p = month_projection(daily, TODAY)
    assert p.spend_to_date == D("94")  # 9 x 10 + 4
    assert p.burn_rate == D("10")  # Apr 3-9
    assert p.projected == D("294")  # 94 + 20 x 10
    assert projection_window(TODAY) == (date(2026, 4, 1), TODAY)
    assert projection_window(date(2026, 4, 3)) == (date(2026, 3, 27), date(2026, 4, 3))


def test_the_first_days_of_a_month_burn_at_last_months_rate():
    daily = {date(2026, 3, 31) - timedelta(days=n): D("7") for n in range(7)}
    p = month_projection(daily, date(2026, 4, 1))
    assert (p.spend_to_date, p.burn_rate, p.projected) == (D("0"), D("7"), D("203"))  # 29 days x 7


def test_limit_day_past_projected_and_never():
    daily = {date(2026, 4, d): D("10") for d in range(1, 11)}  # $100 by today
    p = month_projection(daily, TODAY)
    assert p.limit_day(D("45"), daily) == date(2026, 4, 5)  # 50 > 45 on the 5th
    # 100 now, +10 a day: 150 reached on the 15th, but only over 150 on the 16th.
    assert p.limit_day(D("150"), daily) == date(2026, 4, 16)
    assert p.limit_day(D("155"), daily) == date(2026, 4, 16)
    assert p.limit_day(D("1000"), daily) is None  # 300 at month end
    assert month_projection({}, TODAY).limit_day(D("1"), {}) is None
