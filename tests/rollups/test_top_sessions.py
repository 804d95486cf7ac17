"""The Sessions ranking (selectors.sessions.top_sessions): ranked on cost in the database, figures and
baselines read for the ranked sessions only, the same figures as one grouped read of every session."""
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal as D

import pytest

from costdash.accounts.models import Developer
from costdash.rollups.models import SessionDay
from costdash.rollups.scope import Scope
from costdash.rollups.selectors import sessions as selectors
from costdash.rollups.session_months import session_months_rebuild
from tests.factories import DeveloperFactory

START = date(2026, 3, 1)


def _day(developer, day, session_id, cost, requests=6, read=900, write=100, project="/src/api"):
    at = datetime.combine(day, time(9), tzinfo=UTC)
    SessionDay.objects.create(developer=developer, day=day, session_id=session_id, project=project,
                              requests=requests, cost=D(cost), input_tokens=0, output_tokens=10,
                              cache_read_tokens=read, cache_write_tokens=write, first_at=at,
                              last_at=at + timedelta(minutes=requests))
    session_months_rebuild(developer.pk, {day}, set())  # what the recompute does after writing SessionDay


@pytest.fixture
def two(db):
    return DeveloperFactory(email="ana@example.com", name="Ana"), DeveloperFactory(email="bo@example.com", name="Bo")


def _scope(since=START, until=START + timedelta(days=200)):
    return Scope(developers=Developer.objects.all(), since=since, until=until)


def test_a_session_id_shared_by_two_developers_keeps_each_ones_figures(two):
    ana, bo = two
    _day(ana, START, "s", "3.00")
    _day(ana, START + timedelta(days=1), "s", "2.00", project="/src/web")
    _day(bo, START, "s", "4.00", requests=2)
    _day(bo, START, "t", "0.50")
    _day(ana, START, "t", "1.00")  # Ana's "t" is read with her "s"; Bo's "t" is not ranked in the top 3
    rows = selectors.top_sessions(_scope(), 3)
    assert [(r["developer_id"], r["session_id"], r["cost"], r["requests"], r["projects"]) for r in rows] == [
        (ana.pk, "s", D("5.00"), 12, 2), (bo.pk, "s", D("4.00"), 2, 1), (ana.pk, "t", D("1.00"), 6, 1)]
    assert rows[0]["last_day"] == START + timedelta(days=1) and rows[0]["project"] == "/src/web"


def test_baselines_read_the_windows_of_the_ranked_sessions_only(two):
    ana, _ = two
    for n in range(200):  # a session a day, each a baseline session for the days after it
        _day(ana, START + timedelta(days=n), f"d{n:03}", "0.10")
    first, last = START + timedelta(days=40), START + timedelta(days=190)
    history = selectors.baseline_history({ana.pk: [first, last, last - timedelta(days=5)]})
    days = sorted(row["day"] for row in history[ana.pk])
    # The 30 days up to the first, and the 35 up to the last two (their windows overlap): not the 120 between.
    assert days == ([first - timedelta(days=k) for k in range(29, -1, -1)]
                    + [last - timedelta(days=k) for k in range(34, -1, -1)])


def test_each_ranked_session_is_flagged_against_its_own_window(two):
    ana, _ = two
    for n in range(100):  # healthy: 90% hit rate, $0.10 a turn
        _day(ana, START + timedelta(days=n), f"d{n:03}", "0.60")
    _day(ana, START + timedelta(days=10), "early", "9.00", read=0, write=1000)  # $1.50 a turn, 0% hit rate
    _day(ana, START + timedelta(days=90), "late", "8.00", read=0, write=1000)
    rows = {r["session_id"]: r for r in selectors.top_sessions(_scope(), 2)}
    assert set(rows) == {"early", "late"}
    # The other sessions of its own 30 days: days 0-10 for the early one, 61-90 for the late one.
    assert (rows["early"]["baseline"].sessions, rows["late"]["baseline"].sessions) == (11, 30)
    for row in rows.values():
        assert {flag.kind for flag in row["flags"]} == {selectors.LOW_HIT_RATE, selectors.HIGH_COST_PER_TURN}
