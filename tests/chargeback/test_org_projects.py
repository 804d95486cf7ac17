"""The Projects page of the whole org reads the org's project rollups (OrgProjectDay, OrgProjectMonth),
ProjectDeveloperMonth for distinct developers over whole months and SessionTotal for the sessions of the
days around them (chargeback.projects). On random transcripts of three developers over ten weeks
(sessions spanning days, months and projects, aliases merging two checkouts), every range, filter and
figure equals what the same scope reads from every developer's daily rows, and the sessions equal the
distinct (developer, session) pairs of SessionDay."""
from dataclasses import replace
from datetime import date, timedelta
import random

from django.db.models import Sum
import pytest

from costdash.accounts.models import Developer
from costdash.chargeback.models import (
    DailyDimensionCost,
    MonthlyDimensionCost,
    OrgProjectDay,
    OrgProjectMonth,
    OrgProjectSessionDay,
    ProjectAlias,
    ProjectDeveloperDay,
    ProjectDeveloperMonth,
)
from costdash.chargeback.projects import project_name, project_table, repositories_named
from costdash.chargeback.rollup import FIGURES
from costdash.ingest.services import usage_import
from costdash.rollups.models import SessionDay
from costdash.rollups.org_days import org_days_rebuild
from costdash.rollups.scope import Scope
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.factories import DeveloperFactory
from tests.ingest.transcripts import assistant_line, write_jsonl

START = date(2026, 3, 25)  # .. 2026-06-02: March's last week, April, May, June's first two days
DAYS = 70
CWDS = ("/w/shop", "/w/shop/api", "/home/x/shop", "/w/infra", "/tmp/scratch", None)
MODELS = ("claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5")


@pytest.fixture
def org(db, tmp_path):
    rng = random.Random(7)
    for n in range(3):
        dev = DeveloperFactory(email=f"d{n}@example.com", name=f"Dev {n}")
        lines = []
        for s in range(40):
            first = START + timedelta(days=rng.randrange(DAYS))
            span = rng.choice((0, 0, 0, 1, 3, 12))  # some sessions run over days, a few over a month's end
            cwd = rng.choice(CWDS)
            for r in range(rng.randint(1, 4)):
                day = min(first + timedelta(days=rng.randint(0, span)), START + timedelta(days=DAYS - 1))
                if rng.random() < 0.2:
                    cwd = rng.choice(CWDS)  # the session moves to another project
                line = assistant_line(msg=f"m{n}-{s}-{r}", req=f"r{n}-{s}-{r}", ts=f"{day}T1{r}:00:00Z",
                                      session=f"s{s}" if n != 2 else f"t{s}", model=rng.choice(MODELS),
                                      output=rng.randint(10, 5000), read=rng.randint(0, 90_000))
                if cwd is None:
                    del line["cwd"]
                else:
                    line["cwd"] = cwd
                lines.append(line)
        assert usage_import([write_jsonl(tmp_path / f"{n}.jsonl", lines)], developer_email=dev.email).status == "done"
    daily_cost_recompute_dirty()
    ProjectAlias.objects.create(repository="/home/x/shop", name="/w/shop")  # two checkouts, one project


def grouped(rows, key: tuple[str, ...]) -> dict:
    return {tuple(r[k] for k in key): tuple(r[f] for f in FIGURES)
            for r in rows.values(*key).annotate(**{f"{f}": Sum(f) for f in FIGURES}).order_by()}


def org_project_rows() -> tuple[dict, dict, dict]:
    day = {(r.day, r.project, r.model): tuple(getattr(r, f) for f in FIGURES) for r in OrgProjectDay.objects.all()}
    month = {(r.month, r.project, r.model): tuple(getattr(r, f) for f in FIGURES) for r in OrgProjectMonth.objects.all()}
    sessions = {(r.day, r.project): r.sessions for r in OrgProjectSessionDay.objects.all()}
    return day, month, sessions


def expected_org_rows() -> tuple[dict, dict, dict]:
    day = grouped(DailyDimensionCost.objects.all(), ("day", "project", "model"))
    month = grouped(MonthlyDimensionCost.objects.all(), ("month", "project", "model"))
    sessions: dict = {}
    for day_, project in SessionDay.objects.values_list("day", "project"):
        sessions[(day_, project)] = sessions.get((day_, project), 0) + 1
    return day, month, sessions


def test_the_org_project_rollups_equal_the_developers_rows(org, django_capture_on_commit_callbacks):
    assert org_project_rows() == expected_org_rows()
    assert OrgProjectMonth.objects.values("month").distinct().count() == 4
    assert set(ProjectDeveloperMonth.objects.values_list("developer_id", "month", "project")) == set(
        MonthlyDimensionCost.objects.values_list("developer_id", "month", "project").distinct())
    assert sorted(ProjectDeveloperDay.objects.values_list("developer_id", "day", "project")) == sorted(
        set(DailyDimensionCost.objects.values_list("developer_id", "day", "project")))
    # A developer leaves: their rows go, and the org's rows of their days are rebuilt without them.
    gone = Developer.objects.get(email="d1@example.com")
    with django_capture_on_commit_callbacks(execute=True):  # the refresh runs once the deletion commits
        gone.delete()
    assert not ProjectDeveloperMonth.objects.filter(developer_id=gone.pk).exists()
    assert org_project_rows() == expected_org_rows()
    OrgProjectDay.objects.all().delete()
    OrgProjectMonth.objects.all().delete()
    OrgProjectSessionDay.objects.all().delete()
    org_days_rebuild()
    assert org_project_rows() == expected_org_rows()


def direct_sessions(scope: Scope) -> tuple[dict[str, int], int]:
    rows = SessionDay.objects.filter(developer__in=scope.developers, day__gte=scope.since, day__lte=scope.until)
    if scope.project:
        rows = rows.filter(project__in=scope.repositories)
    aliases = dict(ProjectAlias.objects.values_list("repository", "name"))
    per: dict[str, set] = {}
    every = set()
    for developer, session, project in rows.values_list("developer_id", "session_id", "project"):
        per.setdefault(project_name(project, aliases), set()).add((developer, session))
        every.add((developer, session))
    return {name: len(s) for name, s in per.items()}, len(every)


RANGES = ((START, START + timedelta(days=DAYS - 1)), (date(2026, 4, 1), date(2026, 4, 30)),
          (date(2026, 3, 30), date(2026, 5, 2)), (date(2026, 4, 10), date(2026, 5, 20)),
          (date(2026, 4, 2), date(2026, 4, 29)), (date(2026, 5, 31), date(2026, 6, 1)))


@pytest.mark.parametrize("since, until", RANGES)
@pytest.mark.parametrize("a_part", ((200, 5_000), (1, 5_000), (200, 2)))
def test_the_whole_org_reads_its_rollups_and_gets_every_figure_of_the_daily_rows(org, since, until, a_part,
                                                                                 monkeypatch):
    from costdash.chargeback import projects

    several = projects._sessions_of_several
    assert any(several(since, until)) or (since, until) == RANGES[-1]  # sessions of several days or projects
    if (since, until) == RANGES[0]:  # every condition within its bounds, and each session in one of them
        conditions = several(since, until, developers_a_part=a_part[0], sessions_a_part=a_part[1])
        assert len(conditions) > 1 if a_part != (200, 5_000) else len(conditions) == 1
    monkeypatch.setattr(projects, "_sessions_of_several",
                        lambda since, until: several(since, until, developers_a_part=a_part[0], sessions_a_part=a_part[1]))
    everyone = Scope(Developer.objects.all(), since, until)
    assert everyone.everyone
    named = Developer.objects.filter(pk__in=list(Developer.objects.values_list("pk", flat=True)))
    for changes in ({}, {"model": "claude-opus-4-6"}, {"project": "/w/shop", "repositories": tuple(repositories_named("/w/shop"))},
                    {"project": "unknown project", "repositories": ("unknown project",)}):
        scope = replace(everyone, **changes)
        by_rows = replace(scope, developers=named)  # every developer by name: the developers' daily rows
        assert not by_rows.everyone
        found, expected = project_table(scope), project_table(by_rows)
        assert found == expected, (since, until, changes)
        per, every = direct_sessions(scope)
        assert found["sessions"] == every, (since, until, changes)
        assert {p["name"]: p["sessions"] for p in found["projects"] if p["sessions"]} == {
            name: n for name, n in per.items() if name in {p["name"] for p in found["projects"]}}, (since, until, changes)
    assert project_table(everyone)["total"]["spend"] > 0
