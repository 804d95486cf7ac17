"""Session pages: a hand-worked session with a broken cache prefix, imported from real transcript files.

Ana's session "broken" (Sonnet 4.6 unless said; 5-minute writes; one minute apart):

turn  input  write   read  output  context  cost (USD, by hand at the dated rates)
1     10     30,000  0     500     30,010   10×3 + 30,000×3.75 + 500×15        = 0.120030
2     10     40,000  0     500     40,010                                         0.157530
3     10     50,000  0     500     50,010                                         0.195030
4     10     5,000   0     100     5,010    Haiku 4.5, subagent file: 10×1 + 5,000×1.25 + 100×5 = 0.006760
5     10     3,000   5,000 100     8,010    Haiku 4.5, subagent file: 10 + 3,750 + 500 + 500    = 0.004760
6     10     60,000  0     500     60,010                                         0.232530
7     10     70,000  0     500     70,010   Opus 4.6: 10×5 + 70,000×6.25 + 500×25 = 0.450050
8     10     10,000  0     500     10,010   Opus 4.6 (compacted)                    0.075050
9     10     12,000  0     500     12,010   Opus 4.6                                0.087550

Writes rise with the context instead of reads: hit rate 5,000 / 285,090 = 1.75%; cost $1.329290,
$0.147699 per turn. Turns 4-5 drop under half the context and the main thread comes back (a side
thread: the subagent); turn 7 switches model; turn 8 drops and stays low (a compaction).

Her usual: six healthy sessions on the 14th to 9th day before, six turns each (10 input, 1,000
writes, 30,000 + 1,000k reads, 500 output): $0.02028 + $0.0003k per turn, hit rate about 97%.
"""
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal as D

from django.urls import reverse
import pytest

from costdash.accounts.models import Developer
from costdash.dashboard.filters import org_today
from costdash.ingest.services import usage_import
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.dashboard.test_overview_page import figure_in
from tests.factories import DeveloperFactory, UserFactory
from tests.ingest.transcripts import assistant_line, write_jsonl

SONNET, OPUS, HAIKU = "claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5"
CWD = "/home/ana/src/acme-api/services/billing"  # repository: /home/ana/src/acme-api
# (model, write, read, output, in the subagent file)
BROKEN = [(SONNET, 30_000, 0, 500, False), (SONNET, 40_000, 0, 500, False), (SONNET, 50_000, 0, 500, False),
          (HAIKU, 5_000, 0, 100, True), (HAIKU, 3_000, 5_000, 100, True), (SONNET, 60_000, 0, 500, False),
          (OPUS, 70_000, 0, 500, False), (OPUS, 10_000, 0, 500, False), (OPUS, 12_000, 0, 500, False)]
TURN_COSTS = ["0.120030", "0.157530", "0.195030", "0.006760", "0.004760", "0.232530", "0.450050", "0.075050",
              "0.087550"]


def _at(day, minute: int) -> str:
    return (datetime.combine(day, time(10), tzinfo=UTC) + timedelta(minutes=minute)).isoformat()


def _line(session, day, n, model, write, read, output, side=False, cwd=CWD):
    line = assistant_line(msg=f"msg_{session}_{n}", req=f"req_{session}_{n}", ts=_at(day, n), model=model,
                          session=session, input_tokens=10, write_5m=write, read=read, output=output)
    line["cwd"] = cwd
    if side:
        line |= {"isSidechain": True, "agentId": "a1b2c3"}
    return line


@pytest.fixture
def sessions(tmp_path, developer_user):
    today = org_today()
    day = today - timedelta(days=2)
    root = tmp_path / "projects" / "-home-ana-src-acme-api"
    main = [_line("broken", day, n, m, w, r, o) for n, (m, w, r, o, side) in enumerate(BROKEN, 1) if not side]
    agent = [_line("broken", day, n, m, w, r, o, side=True) for n, (m, w, r, o, side) in enumerate(BROKEN, 1) if side]
    write_jsonl(root / "broken.jsonl", main)
    write_jsonl(root / "broken" / "subagents" / "agent-a1b2c3.jsonl", agent)
    for k in range(6):
        usual_day = today - timedelta(days=14 - k)
        write_jsonl(root / f"usual-{k}.jsonl", [
            _line(f"usual-{k}", usual_day, n, SONNET, 1_000, 30_000 + 1_000 * k, 500) for n in range(1, 7)
        ])
    ana_batch = usage_import([tmp_path / "projects"], developer_email="ana@example.com")
    bo = DeveloperFactory(email="bo@example.com", name="Bo", user=UserFactory(username="bo"))
    bo_file = write_jsonl(tmp_path / "bo" / "bo-1.jsonl", [
        _line("bo-1", day, n, SONNET, 20_000, 0, 500, cwd="/home/bo/code/web") for n in range(1, 4)
    ])
    usage_import([bo_file], developer_email=bo.email)
    daily_cost_recompute_dirty()
    assert ana_batch.status == "done" and ana_batch.requests_new == 9 + 36, ana_batch.errors
    return {"ana": Developer.objects.get(user=developer_user), "bo": bo, "day": day,
            "range": {"since": (today - timedelta(days=20)).isoformat(), "until": today.isoformat()}}


def get(client, user, url, params=None):
    client.force_login(user)
    return client.get(url, params or {})


def session_url(session_id: str) -> str:
    return reverse("dashboard:session", args=[session_id])


def test_the_timeline_figure_is_the_hand_worked_session(client, sessions, admin_user):
    html = get(client, admin_user, session_url("broken")).content.decode()
    figure = figure_in(html, "session-timeline")
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert traces["Context (input + cache read + cache write)"]["y"] == [
        30_010, 40_010, 50_010, 5_010, 8_010, 60_010, 70_010, 10_010, 12_010]
    assert traces["Cache reads"]["y"] == [0, 0, 0, 0, 5_000, 0, 0, 0, 0]
    assert traces["Cache writes"]["y"] == [30_000, 40_000, 50_000, 5_000, 3_000, 60_000, 70_000, 10_000, 12_000]
    assert traces["Output"]["y"] == [500, 500, 500, 100, 100, 500, 500, 500, 500]
    assert traces["Cost per turn"]["y"] == [float(c) for c in TURN_COSTS]
    running, cumulative = D(0), []
    for cost in TURN_COSTS:
        running += D(cost)
        cumulative.append(float(running))
    assert traces["Cumulative cost"]["y"] == cumulative and cumulative[-1] == 1.32929
    # The subagent's turns, inferred from the context (the stored requests do not mark them).
    assert traces["Side thread (likely subagent, inferred)"]["x"] == [4, 5]
    marks = {(shape["x0"], annotation["text"]) for shape, annotation in
             zip(figure["layout"]["shapes"], figure["layout"]["annotations"], strict=True)}
    assert marks == {(7, f"Model: {SONNET} → {OPUS}"), (8, "Compaction: 70,010 → 10,010 tokens")}
    assert 'data-mark="compaction">Turn 8: Compaction: 70,010 → 10,010 tokens' in html
    assert f'data-mark="model_switch">Turn 7: Model: {SONNET} → {OPUS}' in html
    assert "2 turns in side threads" in html


def test_the_session_page_names_project_developer_models_and_figures(client, sessions, admin_user):
    html = get(client, admin_user, session_url("broken"), sessions["range"]).content.decode()
    assert "/home/ana/src/acme-api" in html and "services/billing" not in html  # the repository, not the folder
    assert f'href="/developers/{sessions["ana"].pk}/?{_query(sessions["range"])}"' in html  # filters carried
    assert "$1.33" in html and "9 requests" in html
    assert "$0.1477" in html  # cost per turn: 1.32929 / 9
    assert "1.8%" in html  # hit rate 5,000 / 285,090
    for model in (SONNET, OPUS, HAIKU):
        assert f"<code>{model}</code>" in html
    assert "8 minutes" in html  # 10:01 to 10:09


def _query(params: dict) -> str:
    return "&amp;".join(f"{k}={v}" for k, v in params.items())


def test_a_broken_cache_prefix_is_flagged_against_her_own_usual(client, sessions, admin_user):
    html = get(client, admin_user, session_url("broken")).content.decode()
    flags = html[html.index('id="session-flags"'):html.index("</div>", html.index('id="session-flags"'))]
    assert 'data-flag="low_hit_rate">Cache hit rate 2%: far under their usual (9 in 10 of their sessions reach 97%)' \
        in flags
    assert 'data-flag="high_cost_per_turn">$0.1477 per turn: far over their usual' in flags
    # Her healthiest session is the most extreme of the usual ones, and still not flagged: "far" has a margin.
    assert 'id="session-flags"' not in get(client, admin_user, session_url("usual-5")).content.decode()


def test_the_ranking_lists_the_most_expensive_sessions_with_flags(client, sessions, admin_user):
    html = get(client, admin_user, reverse("dashboard:sessions"), sessions["range"] | {"top": "3"}).content.decode()
    table = html[html.index('id="sessions"'):html.index("</table>", html.index('id="sessions"'))]
    rows = table.split("<tr>")[2:]
    # Bo's session: 3 × (30 + 75,000 + 7,500) = $0.247590; Ana's usual-5: 6 × $0.02178 = $0.13068.
    assert [row[row.index("<code") :].split(">")[1].split("<")[0] for row in rows] == ["broken", "bo-1", "usual-5"]
    assert "$1.33" in rows[0] and ">Ana<" in rows[0] and "/home/ana/src/acme-api" in rows[0]
    assert 'data-flag="low_hit_rate"' in rows[0] and 'data-flag="high_cost_per_turn"' in rows[0]
    assert "data-flag" not in rows[1] + rows[2]
    # Links carry the filters in force.
    assert f'href="/sessions/broken/?{_query(sessions["range"] | {"top": "3"})}"' in rows[0]


def test_every_session_hash_links_to_its_page(client, sessions, developer_user):
    ana = sessions["ana"]
    html = get(client, developer_user, reverse("dashboard:developer", args=[ana.pk]), sessions["range"]).content.decode()
    assert f'href="/sessions/broken/?{_query(sessions["range"])}"' in html
    client.force_login(developer_user)
    api = client.get(f"/api/v1/developers/{ana.pk}/sessions/", sessions["range"]).json()
    assert {row["session_id"]: row["url"] for row in api["results"]}["broken"] == "http://testserver/sessions/broken/"


def test_a_developer_sees_only_their_own_sessions(client, sessions, developer_user, billing_user):
    assert get(client, developer_user, session_url("broken")).status_code == 200
    assert get(client, developer_user, session_url("bo-1")).status_code == 404
    html = get(client, developer_user, reverse("dashboard:sessions"), sessions["range"]).content.decode()
    assert "broken" in html and "bo-1" not in html
    assert get(client, billing_user, session_url("bo-1")).status_code == 200
    assert get(client, billing_user, session_url("no-such-session")).status_code == 404


def test_a_flagged_session_shows_its_flags_on_the_developer_page(client, sessions, developer_user):
    html = get(client, developer_user, reverse("dashboard:developer", args=[sessions["ana"].pk]),
               sessions["range"]).content.decode()
    table = html[html.index('id="sessions"'):html.index("</table>", html.index('id="sessions"'))]
    rows = {row[row.index("<code") :].split(">")[1].split("<")[0]: row for row in table.split("<tr>")[2:]}
    assert sorted(rows) == ["broken"] + [f"usual-{k}" for k in range(6)]
    # The same flags, with the same reasons, as on the Sessions list and the session's page.
    assert 'data-flag="low_hit_rate"' in rows["broken"] and 'data-flag="high_cost_per_turn"' in rows["broken"]
    assert "Cache hit rate 2%: far under their usual (9 in 10 of their sessions reach 97%)" in rows["broken"]
    assert not any("data-flag" in rows[f"usual-{k}"] for k in range(6))
    assert 'id="flag-rules"' in html
