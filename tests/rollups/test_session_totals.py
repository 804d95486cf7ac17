"""SessionTotal (a row a session, rollups.session_months) and the Sessions ranking read from it
(selectors.sessions.ranked_sessions): kept right by the real recompute, and ranking exactly as
grouping every SessionDay row in range does, for sessions of several days and projects reaching
outside the range."""
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal as D
import random

from django.db.models import Count, F, Max, Min, Sum
import pytest

from costdash.accounts.models import Developer, OrgSettings
from costdash.ingest.models import UsageEvent
from costdash.ingest.services import usage_import
from costdash.rollups.models import SessionDay, SessionTotal
from costdash.rollups.scope import Scope
from costdash.rollups.selectors import sessions as selectors
from costdash.rollups.services import daily_cost_mark_dirty, daily_cost_recompute_dirty
from costdash.rollups.session_months import session_months_rebuild
from tests.factories import DeveloperFactory, TeamFactory
from tests.ingest.transcripts import assistant_line, write_jsonl

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def utc_org(db):
    org = OrgSettings.get()
    org.time_zone = "UTC"
    org.save()


def _totals() -> dict:
    return {(t.developer_id, t.session_id): (t.first_day, t.last_day, t.projects, t.project, t.requests, t.cost)
            for t in SessionTotal.objects.all()}


def _totals_from_days() -> dict:
    """What SessionTotal must hold: every session's SessionDay rows summed."""
    return {
        (g["developer_id"], g["session_id"]): (g["first"], g["last"], g["n"], g["p"], g["r"], g["c"])
        for g in SessionDay.objects.values("developer_id", "session_id").annotate(
            first=Min("day"), last=Max("day"), n=Count("project", distinct=True), p=Max("project"),
            r=Sum("requests"), c=Sum("cost")).order_by()
    }


def test_the_recompute_keeps_each_sessions_total(tmp_path):
    def line(msg, session, ts, cwd="/w/api", output=1000):
        return assistant_line(msg=msg, req=f"r-{msg}", session=session, ts=ts, input_tokens=0, output=output,
                              read=0) | {"cwd": cwd}

    usage_import([write_jsonl(tmp_path / "a.jsonl", [
        line("m1", "s-a", "2026-03-02T23:50:00Z"),  # $0.015 each (Sonnet 4.6 output $15/MTok)
        line("m2", "s-a", "2026-03-03T00:05:00Z", cwd="/w/web"),  # the next day, another project
        line("m3", "s-b", "2026-03-03T10:00:00Z", output=2000),
    ])], developer_email="ana@example.com")
    daily_cost_recompute_dirty()
    ana = Developer.objects.get(email="ana@example.com")
    assert _totals() == {
        (ana.pk, "s-a"): (date(2026, 3, 2), date(2026, 3, 3), 2, "/w/web", 2, D("0.03")),
        (ana.pk, "s-b"): (date(2026, 3, 3), date(2026, 3, 3), 1, "/w/api", 1, D("0.03")),
    }
    # Day 3's requests go (s-a keeps day 2 only, s-b is gone); then a request of s-a on a later day.
    UsageEvent.objects.filter(timestamp__date=date(2026, 3, 3)).delete()
    daily_cost_mark_dirty([(ana.pk, date(2026, 3, 3))])
    daily_cost_recompute_dirty()
    assert _totals() == {(ana.pk, "s-a"): (date(2026, 3, 2), date(2026, 3, 2), 1, "/w/api", 1, D("0.015"))}
    usage_import([write_jsonl(tmp_path / "b.jsonl", [line("m4", "s-a", "2026-03-09T09:00:00Z")])],
                 developer_email="ana@example.com")
    daily_cost_recompute_dirty()
    assert _totals() == {(ana.pk, "s-a"): (date(2026, 3, 2), date(2026, 3, 9), 1, "/w/api", 2, D("0.03"))}
    assert _totals() == _totals_from_days()


START = date(2026, 1, 1)
REPOSITORIES = ("/w/api", "/w/web", "/w/ops")


def _random_sessions(rng: random.Random, developers: list[Developer]) -> None:
    """Sessions of 1-4 days (a few with a gap), a few of two projects, shared ids and tied costs."""
    rows = []
    for developer in developers:
        for n in range(60):
            session_id = f"s{rng.randrange(40):02}" if rng.random() < 0.3 else f"{developer.pk}-{n}"
            first = START + timedelta(days=rng.randrange(60))
            days = [first + timedelta(days=k) for k in range(rng.choice((1, 1, 1, 2, 3, 4)))
                    if k == 0 or rng.random() < 0.8]
            projects = rng.sample(REPOSITORIES, 2 if rng.random() < 0.15 else 1)
            for day in days:
                for project in projects:
                    at = datetime.combine(day, time(9 + rng.randrange(8)), UTC)
                    rows.append(SessionDay(developer=developer, day=day, session_id=session_id, project=project,
                                           requests=rng.choice((3, 5, 8)), cost=D(rng.choice(("0.50", "1.25", "2"))),
                                           input_tokens=10, output_tokens=10, cache_read_tokens=rng.randrange(900),
                                           cache_write_tokens=100, first_at=at, last_at=at + timedelta(minutes=30)))
    SessionDay.objects.bulk_create(rows, ignore_conflicts=True)  # a shared id's same day and project: once
    for developer in developers:  # as the recompute does after writing a developer's SessionDay rows
        session_months_rebuild(developer.pk, set(SessionDay.objects.filter(developer=developer)
                                                 .values_list("day", flat=True)), set())


def _ranked_by_grouping(scope: Scope, limit: int) -> list[tuple]:
    """The ranking as it was: every session's SessionDay rows in range grouped, sorted by their sums."""
    days = scope.session_days()
    if scope.project:
        days = days.filter(project__in=scope.repositories)
    return [(r["developer_id"], r["session_id"], r["c"], r["r"]) for r in
            days.values("developer_id", "session_id").annotate(c=Sum("cost"), r=Sum("requests"))
            .order_by("-c", "-r", "session_id", "developer_id")[:limit]]


def _key_sums(ranked: list[tuple[int, str]], scope: Scope) -> list[tuple]:
    days = scope.session_days()
    if scope.project:
        days = days.filter(project__in=scope.repositories)
    sums = {(r["developer_id"], r["session_id"]): (r["c"], r["r"]) for r in
            days.values("developer_id", "session_id").annotate(c=Sum("cost"), r=Sum("requests")).order_by()}
    return [(dev, sid, *sums[(dev, sid)]) for dev, sid in ranked]


def test_the_ranking_from_session_totals_is_the_ranking_of_every_session_in_range():
    rng = random.Random(16)
    teams = [TeamFactory(name="Platform"), TeamFactory(name="Data")]
    developers = [DeveloperFactory(email=f"d{n}@example.com", team=teams[n % 2]) for n in range(6)]
    _random_sessions(rng, developers)
    assert _totals() == _totals_from_days()
    ranges = [(START, START + timedelta(days=70)), (START + timedelta(days=10), START + timedelta(days=12)),
              (START + timedelta(days=5), START + timedelta(days=34)), (START + timedelta(days=59), START + timedelta(days=59)),
              (START + timedelta(days=80), START + timedelta(days=90))]
    groups = [Developer.objects.all(), Developer.objects.filter(team=teams[0]), Developer.objects.filter(pk=developers[3].pk)]
    projects = [("", ()), ("api", ("/w/api",)), ("api+web", ("/w/api", "/w/web"))]
    checked = 0
    for since, until in ranges:
        for group in groups:
            for project, repositories in projects:
                scope = Scope(group, since, until, project=project, repositories=repositories)
                for limit in (1, 7, 100):
                    expected = _ranked_by_grouping(scope, limit)
                    got = _key_sums(selectors.ranked_sessions(scope, limit), scope)
                    # Equal figures in the same order; which of two sessions tied on cost, requests and
                    # id (two developers' shared id) comes first is the database's choice either way.
                    assert [(s, c, r) for _, s, c, r in got] == [(s, c, r) for _, s, c, r in expected]
                    assert {(d, s) for d, s, _, _ in got} == {(d, s) for d, s, _, _ in expected} \
                        or len(expected) == limit
                    checked += bool(expected)
    assert checked > 60


def test_a_session_reaching_outside_the_range_ranks_on_its_part_inside():
    ana = DeveloperFactory(email="ana@example.com")
    day = START + timedelta(days=20)
    at = datetime.combine(day, time(9), UTC)

    def row(day, session_id, cost, project="/w/api"):
        SessionDay.objects.create(developer=ana, day=day, session_id=session_id, project=project, requests=4,
                                  cost=D(cost), first_at=at, last_at=at)

    row(day - timedelta(days=1), "long", "100")  # before the range
    row(day, "long", "1")
    row(day, "short", "5")
    row(day, "mixed", "3")
    row(day, "mixed", "4", project="/w/web")
    session_months_rebuild(ana.pk, {day - timedelta(days=1), day}, set())
    everyone = Developer.objects.all()
    scope = Scope(everyone, day, day)
    assert _key_sums(selectors.ranked_sessions(scope, 3), scope) == [
        (ana.pk, "mixed", D("7"), 8), (ana.pk, "short", D("5"), 4), (ana.pk, "long", D("1"), 4)]
    web = Scope(everyone, day, day, project="web", repositories=("/w/web",))
    assert _key_sums(selectors.ranked_sessions(web, 3), web) == [(ana.pk, "mixed", D("4"), 4)]
    wide = Scope(everyone, day - timedelta(days=1), day)
    assert selectors.ranked_sessions(wide, 1) == [(ana.pk, "long")]
    assert SessionTotal.objects.filter(first_day__lt=F("last_day")).count() == 1


def test_a_session_whose_part_costs_more_than_its_whole_is_not_skipped():
    """A negative day (a credit) makes a session's whole cost less than its part in range: the ranking
    skips sessions by ``cost_bound`` (the positive costs), never by the whole cost."""
    ana = DeveloperFactory(email="ana@example.com")
    day = START + timedelta(days=20)
    at = datetime.combine(day, time(9), UTC)
    for when, session_id, cost in ((day, "credited", "10"), (day + timedelta(days=1), "credited", "-9"),
                                   (day, "plain", "5"), (day, "small", "1")):
        SessionDay.objects.create(developer=ana, day=when, session_id=session_id, requests=2, cost=D(cost),
                                  first_at=at, last_at=at)
    session_months_rebuild(ana.pk, {day, day + timedelta(days=1)}, set())
    assert SessionTotal.objects.get(session_id="credited").cost == D("1")
    assert SessionTotal.objects.get(session_id="credited").cost_bound == D("10")
    assert selectors.ranked_sessions(Scope(Developer.objects.all(), day, day), 1) == [(ana.pk, "credited")]
