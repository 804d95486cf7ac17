"""A small team's rollups whose Overview and Developers figures are worked out by hand.

Days are offsets from ``base`` (day 0); with base 2026-03-01 and "today" 2026-03-20 (day 19):

Ana (team Alpha)                                              tokens: all input / cache reads
  day -2  (Feb 27) sonnet $7.00                               previous month
  day  1  sonnet $10.00 (10 req) + opus $5.50 (3 req, otel)   = $15.50   sonnet 1000/600, opus 1000/500
  day  2  sonnet $31.00                                       = $31.00   2000/2000   over the ceiling
  day 12  sonnet $13.00                                       = $13.00   exactly the average
  day 15  mystery-model, 4 requests, all unpriced             = $0 (active, unknown cost)
Bo (team Beta)
  day  1  sonnet $30.00 + claude-new 2 unpriced requests      = $30.00   exactly the ceiling: not over
  day 13  opus $20.00                                         = $20.00   400/100
  day 18  sonnet $6.00
  day 19  sonnet $4.00 (today)

Days 0..19 ("month to date"): Ana 15.50 + 31 + 13 + 0 = 59.50; Bo 30 + 20 + 6 + 4 = 60; total 119.50.
8 active developer-days; average 119.50 / 8 = 14.9375; 1 over $30 (Ana's 31).
P90 of 0, 4, 6, 13, 15.50, 20, 30, 31: h = 7 * 0.9 = 6.3 -> 30 + 0.3 * 1 = 30.30.
Burn rate (days 12..18, the 7 full days before today): 13 + 20 + 6 = 39 / 7 a day; 11 days left in
March: projected 119.50 + 39 * 11 / 7 = 180.7857142857...
Per developer: Ana P90 of 0, 13, 15.50, 31: h = 2.7 -> 15.50 + 0.7 * 15.50 = 26.35; Bo of 4, 6, 20, 30
-> 20 + 0.7 * 10 = 27. Cache hit rate: Ana (600 + 500 + 2000) / 4000 = 0.775, Bo 100 / 400 = 0.25.
Main model: sonnet for both (Ana 54 vs opus 5.50; Bo 40 vs opus 20).
Sessions: Ana has SessionDay rows "s1" on days 1 and 2 and "s2" on day 12 -> 2 distinct sessions
(her DailyActivity count, 5, is not used); Bo has only DailyActivity: 2 + 1 = 3.
"""
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal as D

from costdash.accounts.models import Developer
from costdash.rollups.models import DailyActivity, SessionDay
from tests.factories import DailyCostFactory, DeveloperFactory, TeamFactory


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC)


def team_usage(ana: Developer, base: date) -> dict:
    """Create the rows above for ``ana`` and a new Bo; returns {"ana", "bo", "day": base + n}."""
    def day(n: int) -> date:
        return base + timedelta(days=n)

    ana.team = TeamFactory(name="Alpha")
    ana.save()
    bo = DeveloperFactory(email="bo@example.com", name="Bo Brannigan", team=TeamFactory(name="Beta"))
    row = DailyCostFactory
    row(developer=ana, day=day(-2), model="sonnet", cost=D("7.00"))
    row(developer=ana, day=day(1), model="sonnet", requests=10, cost=D("10.00"),
        input_tokens=100, cache_read_tokens=600, cache_write_5m_tokens=200, cache_write_1h_tokens=100)
    row(developer=ana, day=day(1), model="opus", requests=3, cost=D("5.50"), source="otel",
        input_tokens=500, cache_read_tokens=500)
    row(developer=ana, day=day(2), model="sonnet", requests=20, cost=D("31.00"), cache_read_tokens=2000)
    row(developer=ana, day=day(12), model="sonnet", requests=10, cost=D("13.00"))
    row(developer=ana, day=day(15), model="mystery-model", requests=4, unpriced_requests=4, cost=D(0))
    row(developer=bo, day=day(1), model="sonnet", requests=5, cost=D("30.00"))
    row(developer=bo, day=day(1), model="claude-new", requests=2, unpriced_requests=2, cost=D(0))
    row(developer=bo, day=day(13), model="opus", requests=4, cost=D("20.00"), input_tokens=300, cache_read_tokens=100)
    row(developer=bo, day=day(18), model="sonnet", requests=3, cost=D("6.00"))
    row(developer=bo, day=day(19), model="sonnet", requests=2, cost=D("4.00"))
    session = SessionDay.objects.create
    session(developer=ana, day=day(1), session_id="s1", requests=8, cost=D("9.00"), input_tokens=50,
            output_tokens=20, cache_read_tokens=300, cache_write_tokens=100,
            first_at=at(day(1), 9), last_at=at(day(1), 23, 30))
    session(developer=ana, day=day(2), session_id="s1", requests=20, cost=D("31.00"), cache_read_tokens=2000,
            first_at=at(day(2), 0, 10), last_at=at(day(2), 1, 0))
    session(developer=ana, day=day(12), session_id="s2", requests=10, cost=D("13.00"), unpriced_requests=1,
            first_at=at(day(12), 14), last_at=at(day(12), 14, 45))
    DailyActivity.objects.create(developer=ana, day=day(1), source="claude_code_analytics", sessions=5,
                                 lines_added=120, lines_removed=30, commits=2, pull_requests=1)
    DailyActivity.objects.create(developer=bo, day=day(13), source="claude_code_analytics", sessions=2)
    DailyActivity.objects.create(developer=bo, day=day(18), source="claude_code_analytics", sessions=1)
    return {"ana": ana, "bo": bo, "day": day}
