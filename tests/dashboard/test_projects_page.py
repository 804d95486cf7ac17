"""The Projects page, the project filter, project names (rename, merge), role scoping and the API's
project field, from real transcript imports with several working directories.

Hand-worked figures, April 2026, claude-sonnet-4-6 ($3 input, $15 output, $0.30 cache read per
million) and claude-opus-4-6 ($5, $25, $0.50). A "cached" request: 50,000 input, 10,000 output,
100,000 cache reads -> sonnet $0.15 + $0.15 + $0.03 = $0.33, opus $0.25 + $0.25 + $0.05 = $0.55,
hit rate 100,000 / 150,000. A "cold" request (no cache reads): sonnet $0.30, hit rate 0.

Ana: session a1, 3 cached sonnet requests in /home/ana/src/shop and /home/ana/src/shop/api; session
a2, 1 in the worktree /home/ana/src/shop/.worktrees/feature-x; session a3, 1 cold in /tmp/scratch.
Bo (another checkout of shop): session b1, a cached sonnet and a cached opus request in
/Users/bo/code/shop; session b2, 1 cached sonnet request with no working directory.

  /home/ana/src/shop   $1.32  4 requests  1 developer  2 sessions  hit 2/3
  /Users/bo/code/shop  $0.88  2 requests  1 developer  1 session   sonnet 37.5%, opus 62.5%
  /tmp/scratch         $0.30  1 request                1 session   hit 0
  unknown project      $0.33  1 request                1 session
  total                $2.83  8 requests  2 developers 5 sessions
Both shop checkouts named "shop": $2.20, 6 requests, 2 developers, 3 sessions, sonnet 75%, opus 25%.
"""
from datetime import date
from decimal import Decimal

from django.urls import reverse
import pytest
from rest_framework.test import APIClient

from costdash.accounts.models import Developer
from costdash.api.services import api_token_create
from costdash.chargeback.models import ProjectAlias
from costdash.ingest.services import usage_import
from costdash.reports.selectors import monthly_report
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.factories import DeveloperFactory, UserFactory
from tests.ingest.transcripts import assistant_line, write_jsonl

RANGE = {"since": "2026-04-01", "until": "2026-04-30"}
SHOP_ANA, SHOP_BO = "/home/ana/src/shop", "/Users/bo/code/shop"


def request(msg, ts, session, cwd, *, model="claude-sonnet-4-6", cold=False):
    line = assistant_line(msg=msg, req=f"req_{msg}", ts=ts, model=model, session=session, input_tokens=50_000,
                          output=10_000, read=0 if cold else 100_000)
    if cwd is None:
        del line["cwd"]
    else:
        line["cwd"] = cwd
    return line


@pytest.fixture
def usage(db, tmp_path, developer_user):
    bo = DeveloperFactory(email="bo@example.com", name="Bo", user=UserFactory(username="bo"))
    ana_lines = [
        request("a1", "2026-04-06T09:00:00Z", "a1", SHOP_ANA),
        request("a2", "2026-04-06T09:10:00Z", "a1", SHOP_ANA),
        request("a3", "2026-04-06T09:20:00Z", "a1", SHOP_ANA + "/api"),
        request("a4", "2026-04-07T10:00:00Z", "a2", SHOP_ANA + "/.worktrees/feature-x"),
        request("a5", "2026-04-08T10:00:00Z", "a3", "/tmp/scratch", cold=True),
    ]
    bo_lines = [
        request("b1", "2026-04-06T11:00:00Z", "b1", SHOP_BO),
        request("b2", "2026-04-06T11:05:00Z", "b1", SHOP_BO, model="claude-opus-4-6"),
        request("b3", "2026-04-09T11:00:00Z", "b2", None),
    ]
    assert usage_import([write_jsonl(tmp_path / "ana" / "s.jsonl", ana_lines)],
                        developer_email="ana@example.com").status == "done"
    assert usage_import([write_jsonl(tmp_path / "bo" / "s.jsonl", bo_lines)],
                        developer_email="bo@example.com").status == "done"
    daily_cost_recompute_dirty()
    return {"ana": Developer.objects.get(email="ana@example.com"), "bo": bo}


def page(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("dashboard:projects"), {**RANGE, **params})
    assert response.status_code == 200
    return response


def rows(response) -> dict[str, dict]:
    return {p["name"]: p for p in response.context["table"]["projects"]}


def test_figures_per_project_by_hand(client, usage, admin_user):
    response = page(client, admin_user)
    found = rows(response)
    assert list(found) == [SHOP_ANA, SHOP_BO, "unknown project", "/tmp/scratch"]
    shop = found[SHOP_ANA]
    assert (shop["spend"], shop["requests"], shop["developers"], shop["sessions"]) == (Decimal("1.32"), 4, 1, 2)
    assert shop["cache_hit_rate"] == Decimal(2) / Decimal(3)
    assert shop["repositories"] == [SHOP_ANA]  # the checkout, its subfolder and its worktree: one repository
    bo = found[SHOP_BO]
    assert (bo["spend"], bo["requests"], bo["sessions"]) == (Decimal("0.88"), 2, 1)
    assert [(m["model"], m["spend"], m["share"]) for m in bo["models"]] == [
        ("claude-opus-4-6", Decimal("0.55"), Decimal("0.625")), ("claude-sonnet-4-6", Decimal("0.33"), Decimal("0.375"))]
    assert (found["/tmp/scratch"]["spend"], found["/tmp/scratch"]["cache_hit_rate"]) == (Decimal("0.30"), 0)
    assert (found["unknown project"]["spend"], found["unknown project"]["sessions"]) == (Decimal("0.33"), 1)
    table = response.context["table"]
    assert (table["total"]["spend"], table["total"]["requests"], table["developers"], table["sessions"]) == (
        Decimal("2.83"), 8, 2, 5)
    assert response.context["outside"] == 0  # every dollar of DailyCost is split by project
    html = response.content.decode()
    assert "$2.83" in html and "unknown project" in html and 'data-chart="project-spend-chart"' in html


def test_two_checkouts_merged_by_one_name(client, usage, admin_user):
    ProjectAlias.objects.create(repository=SHOP_ANA, name="shop")
    ProjectAlias.objects.create(repository=SHOP_BO, name="shop")
    found = rows(page(client, admin_user))
    assert list(found) == ["shop", "unknown project", "/tmp/scratch"]
    shop = found["shop"]
    assert (shop["spend"], shop["requests"], shop["developers"], shop["sessions"]) == (Decimal("2.20"), 6, 2, 3)
    assert shop["repositories"] == [SHOP_BO, SHOP_ANA]
    assert [(m["model"], m["share"]) for m in shop["models"]] == [
        ("claude-sonnet-4-6", Decimal("0.75")), ("claude-opus-4-6", Decimal("0.25"))]
    # The monthly report's project breakdown shows the same name and figure.
    report_projects = {line["name"]: line["spend"] for line in monthly_report(date(2026, 4, 1)).chargeback["projects"]}
    assert report_projects["shop"] == Decimal("2.20")
    assert SHOP_ANA not in report_projects


def test_project_filter_narrows_and_other_pages_say_they_do_not(client, usage, admin_user):
    ProjectAlias.objects.create(repository=SHOP_ANA, name="shop")
    ProjectAlias.objects.create(repository=SHOP_BO, name="shop")
    response = page(client, admin_user, project="shop")
    assert list(rows(response)) == ["shop"]
    assert response.context["table"]["total"]["spend"] == Decimal("2.20")
    assert 'value="shop" selected' in response.content.decode()
    limits = client.get(reverse("limits:list"), {"project": "shop"})
    assert limits.status_code == 200  # a page without the filter bar ignores it
    models = client.get(reverse("dashboard:models"), {**RANGE, "project": "shop"})
    assert "does not apply on this page" not in models.content.decode()
    assert sum(m["spend"] for m in models.context["mix"]["models"]) == Decimal("2.20")  # the project's, as above
    detail = client.get(reverse("dashboard:developer", args=[usage["ana"].pk]), {**RANGE, "project": "shop"})
    assert [(p["name"], p["spend"]) for p in detail.context["projects"]] == [("shop", Decimal("1.32"))]


def test_developer_sees_only_own_projects(client, usage, developer_user):
    response = page(client, developer_user)
    found = rows(response)
    assert list(found) == [SHOP_ANA, "/tmp/scratch"]
    assert response.context["table"]["total"]["spend"] == Decimal("1.62")
    # Bo's checkout is no choice of hers: asking for it is an error, and the page shows her own projects.
    response = page(client, developer_user, project=SHOP_BO)
    assert response.context["filters"].errors and list(rows(response)) == [SHOP_ANA, "/tmp/scratch"]
    assert SHOP_BO not in response.content.decode().split("Some filters could not be used")[0]


def test_names_page_admins_edit_billing_reads(client, usage, admin_user, billing_user):
    client.force_login(billing_user)
    assert client.get(reverse("chargeback:project_names")).status_code == 200
    assert client.post(reverse("chargeback:project_name_create"), {"repository": SHOP_BO, "name": "x"}).status_code == 403
    client.force_login(admin_user)
    response = client.post(reverse("chargeback:project_name_create"), {"repository": SHOP_BO, "name": "  shop  "})
    assert response.status_code == 302 and ProjectAlias.objects.get(repository=SHOP_BO).name == "shop"
    refused = client.post(reverse("chargeback:project_name_create"),
                          {"repository": "unknown project", "name": "guess"})
    assert refused.status_code == 200 and not ProjectAlias.objects.filter(repository="unknown project").exists()


def test_api_project_field_and_filter(usage, admin_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=admin_user, name='tests')[1]}")
    ProjectAlias.objects.create(repository=SHOP_ANA, name="shop")
    body = client.get("/api/v1/daily-costs/", RANGE).json()
    day = next(r for r in body["results"] if r["day"] == "2026-04-06" and r["developer_id"] == usage["ana"].pk)
    assert day["projects"] == [{"project": "shop", "cost": "0.99", "requests": 3}]
    filtered = client.get("/api/v1/daily-costs/", {**RANGE, "project": "/tmp/scratch"}).json()["results"]
    assert [(r["day"], r["cost"], r["requests"]) for r in filtered] == [("2026-04-08", "0.30", 1)]
    bad = client.get("/api/v1/daily-costs/", {**RANGE, "project": "nowhere"})
    assert bad.status_code == 400 and "project" in bad.json()
    detail = client.get(f"/api/v1/developers/{usage['bo'].pk}/", RANGE).json()
    assert [(p["project"], p["spend"], p["sessions"]) for p in detail["projects"]] == [
        (SHOP_BO, "0.88", 1), ("unknown project", "0.33", 1)]


def test_whole_months_come_from_the_month_rollup_and_agree_to_the_cent(client, usage, admin_user, tmp_path):
    """A range holding whole months reads them from MonthlyDimensionCost and the days around them from
    DailyDimensionCost: the same figures as the daily rows. Bo adds a cached sonnet request on 2 May
    in shop ($0.33) and one on 31 March ($0.33), so the range 31 March - 2 May has both edges and April."""
    from costdash.chargeback.models import DailyDimensionCost, MonthlyDimensionCost
    from costdash.chargeback.projects import whole_months

    lines = [request("b4", "2026-05-02T11:00:00Z", "b4", SHOP_BO), request("b5", "2026-03-31T11:00:00Z", "b5", SHOP_BO)]
    assert usage_import([write_jsonl(tmp_path / "bo2" / "s.jsonl", lines)],
                        developer_email="bo@example.com").status == "done"
    daily_cost_recompute_dirty()
    assert whole_months(date(2026, 3, 31), date(2026, 5, 2)) == (date(2026, 4, 1), date(2026, 4, 1))
    assert whole_months(date(2026, 4, 2), date(2026, 5, 30)) is None
    assert whole_months(date(2026, 4, 1), date(2026, 5, 31)) == (date(2026, 4, 1), date(2026, 5, 1))
    # The month rows are the daily rows summed: Bo's April is $0.88 (sonnet $0.33, opus $0.55) + $0.33 unknown.
    bo = usage["bo"]
    april = {(r.model, r.project): (r.cost, r.requests) for r in
             MonthlyDimensionCost.objects.filter(developer=bo, month=date(2026, 4, 1))}
    assert april == {("claude-sonnet-4-6", SHOP_BO): (Decimal("0.33"), 1), ("claude-opus-4-6", SHOP_BO): (Decimal("0.55"), 1),
                     ("claude-sonnet-4-6", "unknown project"): (Decimal("0.33"), 1)}
    assert MonthlyDimensionCost.objects.get(developer=bo, month=date(2026, 5, 1)).cost == Decimal("0.33")
    assert DailyDimensionCost.objects.filter(developer=bo, day=date(2026, 3, 31)).get().cost == Decimal("0.33")

    response = page(client, admin_user, since="2026-03-31", until="2026-05-02")
    found = rows(response)
    table = response.context["table"]
    assert (table["total"]["spend"], table["total"]["requests"], table["developers"], table["sessions"]) == (
        Decimal("3.49"), 10, 2, 7)
    assert (found[SHOP_BO]["spend"], found[SHOP_BO]["requests"], found[SHOP_BO]["developers"],
            found[SHOP_BO]["sessions"]) == (Decimal("1.54"), 4, 1, 3)
    assert found[SHOP_ANA]["spend"] == Decimal("1.32") and found[SHOP_ANA]["sessions"] == 2
    assert response.context["outside"] == 0
    # April alone, and May's first two days alone (no whole month), still agree.
    assert page(client, admin_user, since="2026-04-01", until="2026-04-30").context["table"]["total"]["spend"] == \
        Decimal("2.83")
    may = page(client, admin_user, since="2026-05-01", until="2026-05-02").context["table"]
    assert (may["total"]["spend"], may["developers"], may["sessions"]) == (Decimal("0.33"), 1, 1)
    # A developer in both parts (April from the months, 2 May from the days) counts once.
    bo_only = page(client, admin_user, since="2026-04-01", until="2026-05-02", developer=str(bo.pk)).context["table"]
    assert (bo_only["total"]["spend"], bo_only["total"]["requests"]) == (Decimal("1.54"), 4)


def test_month_rows_follow_a_recompute_and_go_with_their_developer(usage):
    from costdash.chargeback.models import MonthlyDimensionCost
    from costdash.rollups.services import daily_cost_mark_all_dirty

    before = sorted(MonthlyDimensionCost.objects.values_list("developer_id", "month", "model", "project", "cost"))
    daily_cost_mark_all_dirty()
    daily_cost_recompute_dirty()
    assert sorted(MonthlyDimensionCost.objects.values_list("developer_id", "month", "model", "project", "cost")) == before
    bo = usage["bo"].pk
    usage["bo"].delete()
    assert not MonthlyDimensionCost.objects.filter(developer_id=bo).exists()
    assert MonthlyDimensionCost.objects.filter(developer=usage["ana"]).exists()


def test_sessions_over_whole_months_count_a_session_once_across_months_and_projects(client, usage, admin_user, tmp_path):
    """Ana resumes session a1 on 1 May (shop) and session a3 moves from /tmp/scratch into shop on
    8 April: a1 spans two months, a3 two projects. Over every range the Projects page's sessions equal
    the distinct sessions of SessionDay counted directly, per project and in all."""
    from costdash.rollups.models import SessionDay, SessionMonth, SessionSpan

    lines = [request("a6", "2026-05-01T09:00:00Z", "a1", SHOP_ANA), request("a7", "2026-04-08T12:00:00Z", "a3", SHOP_ANA)]
    assert usage_import([write_jsonl(tmp_path / "ana2" / "s.jsonl", lines)],
                        developer_email="ana@example.com").status == "done"
    daily_cost_recompute_dirty()
    ana = usage["ana"]
    assert set(SessionSpan.objects.filter(developer=ana).values_list("session_id", "month", "project")) == {
        ("a1", date(2026, 4, 1), SHOP_ANA), ("a1", date(2026, 5, 1), SHOP_ANA),
        ("a3", date(2026, 4, 1), SHOP_ANA), ("a3", date(2026, 4, 1), "/tmp/scratch")}
    # Ana's simple April sessions: a2 in shop; May: none.
    assert set(SessionMonth.objects.filter(developer=ana).values_list("month", "project", "sessions")) == {
        (date(2026, 4, 1), SHOP_ANA, 1)}

    def direct(since, until):
        rows = SessionDay.objects.filter(day__gte=since, day__lte=until)
        per = {}
        for project, session in rows.values_list("project", "session_id").distinct():
            per.setdefault(project, set()).add(session)
        return {p: len(s) for p, s in per.items()}, rows.values("session_id").distinct().count()

    for since, until in (("2026-03-31", "2026-05-02"), ("2026-04-01", "2026-05-31"), ("2026-05-01", "2026-05-31"),
                         ("2026-04-02", "2026-05-31"), ("2026-04-01", "2026-04-30")):
        table = page(client, admin_user, since=since, until=until).context["table"]
        per, every = direct(date.fromisoformat(since), date.fromisoformat(until))
        assert table["sessions"] == every, (since, until)
        assert {p["name"]: p["sessions"] for p in table["projects"] if p["sessions"]} == per, (since, until)
    # 31 March - 2 May: a1 (April from the spans, 1 May from the days) is one session.
    table = page(client, admin_user, since="2026-03-31", until="2026-05-02").context["table"]
    assert {p["name"]: p["sessions"] for p in table["projects"]}[SHOP_ANA] == 3  # a1, a2, a3
    assert table["sessions"] == 5  # a1, a2, a3, b1, b2


def test_developers_sessions_over_whole_months_equal_the_distinct_session_days(usage, tmp_path):
    """The Developers table's sessions per developer read a range's whole months from SessionMonth and
    SessionSpan as the Projects page does (a1 spans April and May, a3 two projects): over every range,
    with and without the project filter and for a few developers, equal to SessionDay's distinct pairs."""
    from costdash.chargeback.projects import repositories_named
    from costdash.rollups.models import SessionDay
    from costdash.rollups.scope import Scope
    from costdash.rollups.selectors.developers import SESSIONS_FROM_SESSION_DAYS, session_counts

    lines = [request("a6", "2026-05-01T09:00:00Z", "a1", SHOP_ANA), request("a7", "2026-04-08T12:00:00Z", "a3", SHOP_ANA),
             request("a8", "2026-03-30T09:00:00Z", "a9", "/tmp/scratch")]
    assert usage_import([write_jsonl(tmp_path / "ana2" / "s.jsonl", lines)],
                        developer_email="ana@example.com").status == "done"
    daily_cost_recompute_dirty()
    ana, bo = usage["ana"], usage["bo"]

    def direct(since, until, repositories=None):
        rows = SessionDay.objects.filter(day__gte=since, day__lte=until)
        if repositories is not None:
            rows = rows.filter(project__in=repositories)
        counted: dict[int, set] = {}
        for developer, session in rows.values_list("developer_id", "session_id"):
            counted.setdefault(developer, set()).add(session)
        return {developer: (len(s), SESSIONS_FROM_SESSION_DAYS) for developer, s in counted.items()}

    everyone = Developer.objects.all()
    for since, until in (("2026-03-30", "2026-05-02"), ("2026-04-01", "2026-05-31"), ("2026-05-01", "2026-05-31"),
                         ("2026-04-02", "2026-05-31"), ("2026-04-01", "2026-04-30"), ("2026-03-01", "2026-05-31")):
        since, until = date.fromisoformat(since), date.fromisoformat(until)
        scope = Scope(everyone, since, until)
        assert session_counts(scope, by_project=True) == direct(since, until), (since, until)
        assert session_counts(scope, developer_ids=[ana.pk]) == {
            k: v for k, v in direct(since, until).items() if k == ana.pk}, (since, until)
        for name in ("/tmp/scratch", SHOP_ANA):
            repositories = repositories_named(name)
            narrowed = Scope(everyone, since, until, project=name, repositories=tuple(repositories))
            assert session_counts(narrowed, by_project=True) == direct(since, until, repositories), (since, until, name)
    # 30 March - 2 May: Ana's a9 (30 March), a1 (April and 1 May: once), a2, a3 (two projects: once); Bo's b1, b2.
    counted = session_counts(Scope(everyone, date(2026, 3, 30), date(2026, 5, 2)))
    assert (counted[ana.pk][0], counted[bo.pk][0]) == (4, 2)


def test_spend_not_yet_split_by_project_is_shown_for_the_org_and_for_a_team(client, usage, admin_user):
    """Days whose DailyDimensionCost rows are missing (awaiting their recompute after an upgrade) show as
    spend outside every project: for everyone from the org's day rollups (OrgDailyCost less
    OrgProjectDay), for narrower scopes from DeveloperDay or DailyCost less DailyDimensionCost, the
    same figure."""
    from costdash.chargeback.models import DailyDimensionCost
    from costdash.rollups.org_days import org_days_refresh

    DailyDimensionCost.objects.filter(developer=usage["bo"], day=date(2026, 4, 6)).delete()  # $0.88
    org_days_refresh([date(2026, 4, 6)])  # the org's rollups of the day, as a later recompute leaves them
    days = {"since": "2026-04-02", "until": "2026-04-30"}  # no whole month: the days' rows are compared
    assert page(client, admin_user, **days).context["outside"] == Decimal("0.88")
    assert page(client, admin_user, **days, model="claude-sonnet-4-6").context["outside"] == Decimal("0.33")
    assert page(client, admin_user, **days, developer=str(usage["bo"].pk)).context["outside"] == Decimal("0.88")
    assert page(client, admin_user, **days, developer=str(usage["ana"].pk)).context["outside"] == 0


def test_the_table_shows_a_page_of_projects_and_the_csv_every_one(client, usage, admin_user, monkeypatch):
    """PROJECTS_PER_PAGE rows a page, most spend first, with a pager keeping the filters; the totals and the
    CSV cover every project."""
    from costdash.dashboard.views import projects as view

    monkeypatch.setattr(view, "PROJECTS_PER_PAGE", 2)
    first = page(client, admin_user)
    names = [p["name"] for p in first.context["table"]["projects"]]
    assert len(names) == 4
    assert [p["name"] for p in first.context["shown"]] == names[:2]
    body = first.content.decode()
    assert "Projects 1–2 of 4 (page 1 of 2)" in body and "page=2#projects" in body and "since=2026-04-01" in body
    second = page(client, admin_user, page="2")
    assert [p["name"] for p in second.context["shown"]] == names[2:]
    assert second.context["table"]["total"]["spend"] == Decimal("2.83")
    csv = b"".join(page(client, admin_user, page="2", format="csv").streaming_content).decode()
    assert all(name in csv for name in names)
