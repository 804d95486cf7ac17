"""The transcript generator writes trees shaped like real Claude Code 2.1.x files, and the demo
team's usage has the spend profile the dashboard is meant to show. Prices here come from the
list rates (shared/formats/pricing.md), not from costdash's pricing code: no database needed."""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
import hashlib
import os
from pathlib import Path
import re
import statistics

import orjson
import pytest

from costdash.demo.transcripts import UNKNOWN_MODEL, write_corpus, write_demo_team
from costdash.ingest.parsers.dimensions import repository_of

END = date(2026, 5, 15)
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
RATES = {  # input, 5m write, 1h write, read, output; USD per MTok
    "claude-opus-4-6": (5, 6.25, 10, 0.50, 25),
    "claude-sonnet-4-6": (3, 3.75, 6, 0.30, 15),
    "claude-sonnet-4-5": (3, 3.75, 6, 0.30, 15),
    "claude-haiku-4-5": (1, 1.25, 2, 0.10, 5),
}


@dataclass
class Copy:
    """One usage-bearing line: an assistant line or an agent_progress echo."""

    file: str
    echo: bool
    agent_id: str | None
    session_id: str
    model: str
    message_id: str
    request_id: str | None
    usage: dict
    timestamp: str


@dataclass
class Scan:
    files: list[Path] = field(default_factory=list)
    types: Counter = field(default_factory=Counter)
    progress_types: Counter = field(default_factory=Counter)
    bytes: int = 0
    usage_bytes: int = 0
    copies: list[Copy] = field(default_factory=list)
    synthetic: list[dict] = field(default_factory=list)
    session_days: dict = field(default_factory=lambda: defaultdict(set))
    cwds: set = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def requests(self) -> dict[str, list[Copy]]:
        by_id = defaultdict(list)
        for c in self.copies:
            by_id[c.message_id].append(c)
        return by_id

    def final(self) -> dict[str, Copy]:
        return {k: max(v, key=lambda c: c.usage["output_tokens"]) for k, v in self.requests().items()}


def _usage_copy(obj: dict, rel: str) -> Copy | None:
    if obj["type"] == "assistant":
        env, echo = obj, False
    elif obj["type"] == "progress" and obj["data"].get("type") == "agent_progress" \
            and obj["data"]["message"]["type"] == "assistant":
        env, echo = obj["data"]["message"], True
    else:
        return None
    msg = env["message"]
    agent = obj["data"]["agentId"] if echo else obj.get("agentId")
    return Copy(rel, echo, agent, obj["sessionId"], msg["model"], msg["id"], env.get("requestId"), msg["usage"],
                env.get("timestamp") or obj["timestamp"])


def _check_line(obj: dict, path: Path, scan: Scan) -> None:
    for key in ("timestamp",):
        if key in obj and not TS.match(obj[key]):
            scan.problems.append(f"{path}: bad timestamp {obj[key]}")
    if "cwd" in obj and not (obj["cwd"] and obj["version"].startswith("2.1.") and "gitBranch" in obj):
        scan.problems.append(f"{path}: bad cwd/version/gitBranch")
    if "cwd" in obj:
        scan.cwds.add(obj["cwd"])


def scan_tree(root: Path) -> Scan:
    """Parse every line of every .jsonl under ``root`` (each must be a JSON object)."""
    scan = Scan()
    for dirpath, _, names in os.walk(root):
        for name in sorted(names):
            path = Path(dirpath, name)
            scan.files.append(path)
            rel = str(path.relative_to(root))
            for raw in path.read_bytes().splitlines():
                obj = orjson.loads(raw)
                scan.bytes += len(raw) + 1
                scan.types[obj["type"]] += 1
                if obj["type"] == "progress":
                    scan.progress_types[obj["data"]["type"]] += 1
                _check_line(obj, path, scan)
                if "sessionId" in obj and "timestamp" in obj and "subagents" not in rel:
                    scan.session_days[rel].add(obj["timestamp"][:10])
                copy = _usage_copy(obj, rel)
                if copy is None:
                    continue
                scan.usage_bytes += len(raw) + 1
                if copy.model == "<synthetic>":
                    scan.synthetic.append(copy.usage)
                else:
                    scan.copies.append(copy)
    return scan


def cost(model: str, usage: dict) -> float | None:
    rates = RATES.get(re.sub(r"-\d{8}$", "", model))
    if rates is None:
        return None
    split = usage["cache_creation"]
    tokens = (usage["input_tokens"], split["ephemeral_5m_input_tokens"], split["ephemeral_1h_input_tokens"],
              usage["cache_read_input_tokens"], usage["output_tokens"])
    return sum(t * r for t, r in zip(tokens, rates, strict=True)) / 1e6


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    developers = write_demo_team(root, end=END, days=60, seed=7)
    return root, developers, scan_tree(root)


@pytest.fixture(scope="module")
def daily(demo):
    """{email: {UTC day: USD}} priced from each request's largest copy."""
    root, developers, scan = demo
    owner = {c.message_id: c.file.split(os.sep)[0] for c in scan.copies}
    slug_to_email = {d.path.parent.name: d.email for d in developers}
    spend = defaultdict(lambda: defaultdict(float))
    for message_id, c in scan.final().items():
        usd = cost(c.model, c.usage)
        if usd is not None:
            spend[slug_to_email[owner[message_id]]][c.timestamp[:10]] += usd
    return spend


def test_demo_team_has_at_least_twelve_developers_in_three_or_four_teams(demo):
    root, developers, _ = demo
    assert len(developers) >= 12
    assert 3 <= len({d.team for d in developers}) <= 4
    assert len({d.email for d in developers}) == len(developers)
    for d in developers:
        assert d.path == root / d.path.parent.name / "projects" and d.path.is_dir()


def test_every_line_parses_and_the_usual_line_types_are_there(demo):
    _, _, scan = demo
    assert not scan.problems[:5]
    for kind in ("assistant", "user", "progress", "system", "file-history-snapshot", "summary"):
        assert scan.types[kind] > 0, kind
    assert scan.progress_types["hook_progress"] > 0 and scan.progress_types["agent_progress"] > 0


def test_files_sit_where_claude_code_puts_them(demo):
    root, _, scan = demo
    project = r"^[a-z-]+/projects/-[A-Za-z0-9-]+/"
    main = re.compile(rf"{project}({UUID})\.jsonl$")
    sub = re.compile(rf"{project}({UUID})/subagents/agent-(a[0-9a-f]{{6}}|acompact-[0-9a-f]{{6}})\.jsonl$")
    kinds = Counter()
    for path in scan.files:
        rel = str(path.relative_to(root))
        m = main.match(rel) or sub.match(rel)
        assert m, rel
        lines = [orjson.loads(x) for x in path.read_bytes().splitlines()]
        sessions = {o["sessionId"] for o in lines if "sessionId" in o}
        assert sessions == {m.group(1)}, rel
        if sub.match(rel):
            agent = m.group(2)
            kinds["compact" if agent.startswith("acompact") else "agent"] += 1
            assert all(o["isSidechain"] and o["agentId"] == agent for o in lines if "uuid" in o), rel
        else:
            kinds["main"] += 1
            assert not any(o.get("isSidechain") for o in lines), rel
    assert kinds["main"] > 100 and kinds["agent"] > 10 and kinds["compact"] > 5


def test_one_response_spans_several_lines_with_output_growing_to_the_last(demo):
    _, _, scan = demo
    multi = 0
    for copies in scan.requests().values():
        own = [c for c in copies if not c.echo]
        assert len({c.request_id for c in copies}) == 1
        outputs = [c.usage["output_tokens"] for c in own]
        assert outputs == sorted(outputs) and outputs[-1] == max(outputs)
        rest = [{k: v for k, v in c.usage.items() if k != "output_tokens"} for c in copies]
        assert all(r == rest[0] for r in rest)
        if len(own) > 1:
            multi += 1
            assert outputs[-1] > outputs[0]
    assert multi > 0.3 * len(scan.requests())


def test_agent_progress_echoes_repeat_a_subagent_files_line(demo):
    _, _, scan = demo
    echoes = [c for c in scan.copies if c.echo]
    assert echoes
    in_files = defaultdict(list)
    for c in scan.copies:
        if not c.echo:
            in_files[c.message_id].append(c)
    for echo in echoes:
        copies = in_files[echo.message_id]
        assert copies and all("subagents" in c.file and c.agent_id == echo.agent_id for c in copies)
        assert echo.usage in [c.usage for c in copies]


def test_usage_carries_the_cache_split_and_the_2026_fields(demo):
    _, _, scan = demo
    one_hour = five_min = 0
    for c in scan.final().values():
        u = c.usage
        split = u["cache_creation"]
        writes = split["ephemeral_5m_input_tokens"] + split["ephemeral_1h_input_tokens"]
        assert writes == u["cache_creation_input_tokens"]
        assert u["service_tier"] == "standard" and u["speed"] == "standard"
        assert u["inference_geo"] in ("global", "not_available")
        one_hour += split["ephemeral_1h_input_tokens"]
        five_min += split["ephemeral_5m_input_tokens"]
    assert one_hour > 2 * five_min  # mostly 1h writes, as in 2026 data
    assert scan.synthetic and all(not any(v for k, v in s.items() if k.endswith("tokens")) for s in scan.synthetic)


def test_cache_reads_grow_as_the_conversation_grows(demo):
    """A warm request re-reads everything the previous one read and wrote."""
    _, _, scan = demo
    chained = pairs = 0
    by_file = defaultdict(list)
    for c in scan.final().values():
        by_file[c.file].append(c)
    for copies in by_file.values():
        copies.sort(key=lambda c: c.timestamp)
        for before, after in zip(copies, copies[1:], strict=False):
            pairs += 1
            prior = before.usage["cache_read_input_tokens"] + before.usage["cache_creation_input_tokens"]
            chained += after.usage["cache_read_input_tokens"] == prior
    assert chained > 0.7 * pairs


def test_models_include_the_current_families_and_one_unknown_request(demo):
    _, _, scan = demo
    models = Counter(c.model for c in scan.final().values())
    assert {"claude-opus-4-6", "claude-sonnet-4-6", "claude-sonnet-4-5-20250929",
            "claude-haiku-4-5-20251001"} <= set(models)
    assert models[UNKNOWN_MODEL] == 1
    assert set(models) <= set(RATES) | {"claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", UNKNOWN_MODEL}


def test_long_context_only_where_it_costs_standard_rates(demo, tmp_path):
    """Over 200K input only for 4.6 models from 2026-03-14, when their 1M context is standard-priced."""
    early = scan_tree(write_demo_team(tmp_path, end=date(2026, 3, 10), days=5, seed=7)[0].path.parent.parent)
    for scan in (demo[2], early):
        for c in scan.final().values():
            u = c.usage
            if u["input_tokens"] + u["cache_creation_input_tokens"] + u["cache_read_input_tokens"] > 200_000:
                assert c.model in ("claude-opus-4-6", "claude-sonnet-4-6") and c.timestamp >= "2026-03-14"


def test_some_sessions_cross_utc_midnight(demo):
    _, _, scan = demo
    assert sum(len(days) > 1 for days in scan.session_days.values()) >= 3


def test_demo_spend_has_the_profile_the_dashboard_shows(demo, daily):
    _, developers, scan = demo
    first, last = (END - timedelta(days=59)).isoformat(), (END + timedelta(days=1)).isoformat()
    days = [usd for per_day in daily.values() for usd in per_day.values()]
    assert all(first <= day <= last for per_day in daily.values() for day in per_day)
    assert len({day for per_day in daily.values() for day in per_day}) >= 40
    assert sum(usd > 30 for usd in days) >= 5
    assert sum(usd > 60 for usd in days) >= 2
    by_team = defaultdict(list)
    for d in developers:
        by_team[d.team] += list(daily[d.email].values())
    for team, values in by_team.items():
        assert 9 <= statistics.mean(values) <= 19, team
    active = sorted(len(daily[d.email]) for d in developers)
    assert active[0] < 25 and active[-1] > 38  # part-timers and full-timers


def test_weekends_are_mostly_idle(daily):
    days = [date.fromisoformat(day) for per_day in daily.values() for day in per_day]
    assert sum(d.weekday() >= 5 for d in days) < 0.15 * len(days)


def test_profiles_differ_in_model_mix_and_cache_hit_rate(demo):
    root, developers, scan = demo
    slug_to_email = {d.path.parent.name: d.email for d in developers}
    tokens, spend = defaultdict(Counter), defaultdict(Counter)
    for c in scan.final().values():
        email, u = slug_to_email[c.file.split(os.sep)[0]], c.usage
        tokens[email]["read"] += u["cache_read_input_tokens"]
        tokens[email]["all"] += u["input_tokens"] + u["cache_creation_input_tokens"] + u["cache_read_input_tokens"]
        spend[email][re.sub(r"-\d{8}$", "", c.model)] += cost(c.model, u) or 0
    hit = {email: t["read"] / t["all"] for email, t in tokens.items()}
    assert min(hit.values()) < 0.7 < statistics.median(hit.values())
    share = {email: {m: usd / sum(s.values()) for m, usd in s.items()} for email, s in spend.items()}
    assert sum(s.get("claude-opus-4-6", 0) > 0.7 for s in share.values()) >= 2
    assert sum(s.get("claude-haiku-4-5", 0) > 0.7 for s in share.values()) >= 2
    assert sum(s.get("claude-sonnet-4-6", 0) + s.get("claude-sonnet-4-5", 0) > 0.9 for s in share.values()) >= 3


def test_sessions_run_in_a_handful_of_repositories(demo):
    """The Projects page has something to show: 5-8 repositories (working directories' git roots),
    sessions in worktrees and in folders below a root, and two checkouts of one repository."""
    _, _, scan = demo
    repositories = {repository_of(cwd) for cwd in scan.cwds}
    assert 5 <= len(repositories) <= 8, sorted(repositories)
    assert any("/.worktrees/" in cwd for cwd in scan.cwds)
    assert any(repository_of(cwd) != cwd and "/.worktrees/" not in cwd for cwd in scan.cwds)  # a folder inside
    names = Counter(repository.rsplit("/", 1)[-1] for repository in repositories)
    assert names.most_common(1)[0][1] >= 2  # one repository checked out twice (a merge for an admin)


def _main_requests(scan: Scan) -> dict[str, list[Copy]]:
    """Each main transcript's requests (their final copy), in time order."""
    by_file = defaultdict(list)
    for c in scan.final().values():
        if "subagents" not in c.file and not c.echo:
            by_file[c.file].append(c)
    return {file: sorted(copies, key=lambda c: c.timestamp) for file, copies in by_file.items()}


def _broken_cache(requests: list[Copy]) -> bool:
    """Every request writes the whole conversation again instead of reading it."""
    return len(requests) >= 5 and all(c.usage["cache_read_input_tokens"] == 0 for c in requests)


def test_a_few_sessions_have_a_broken_cache_prefix(demo, tmp_path):
    """Cache writes grow turn by turn while reads stay at zero: a few in 60 days, one in a week's window."""
    _, _, scan = demo
    broken = [requests for requests in _main_requests(scan).values() if _broken_cache(requests)]
    assert 3 <= len(broken) <= 8
    for requests in broken:
        writes = [c.usage["cache_creation_input_tokens"] for c in requests]
        assert writes[:4] == sorted(writes[:4]) and max(writes) > 2 * writes[0]
    week = write_demo_team(tmp_path, end=END, days=7, seed=7)[0].path.parent.parent
    assert any(_broken_cache(requests) for requests in _main_requests(scan_tree(week)).values())


def test_some_sessions_switch_model_with_a_cold_cache(demo):
    """/model moves the main thread to another model, whose first request reads no conversation."""
    root, _, scan = demo
    switched = 0
    for file, requests in _main_requests(scan).items():
        text = (root / file).read_bytes()
        if b"<command-name>/model</command-name>" not in text:
            continue
        at = text.index(b"<command-name>/model</command-name>")
        stamp = orjson.loads(text[text.rfind(b"\n", 0, at) + 1:text.index(b"\n", at)])["timestamp"]
        before = [c for c in requests if c.timestamp < stamp and c.model != UNKNOWN_MODEL]
        later = [c for c in requests if c.timestamp > stamp]
        assert before and later and later[0].model != before[-1].model, file
        assert later[0].usage["cache_read_input_tokens"] <= 14_000  # the system prompt at most
        switched += 1
    assert 3 <= switched <= 30


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.jsonl"))}


def test_the_demo_is_deterministic_for_a_seed(tmp_path):
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        write_demo_team(tmp_path / name, end=END, days=3, seed=seed)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    return root, write_corpus(root, target_bytes=30_000_000, seed=3)


def test_corpus_stats_are_ground_truth(corpus):
    root, stats = corpus
    scan = scan_tree(root)
    assert stats.files == len(scan.files) and stats.bytes == scan.bytes >= 30_000_000
    assert stats.distinct_requests == len(scan.requests())
    assert stats.usage_lines == len(scan.copies) and stats.synthetic_lines == len(scan.synthetic)
    assert scan.usage_bytes < 0.4 * scan.bytes  # tool results and the like carry most bytes


def test_corpus_file_sizes_look_like_real_trees(corpus):
    root, stats = corpus
    sizes = sorted(p.stat().st_size for p in root.rglob("*.jsonl"))
    assert stats.files > 100
    assert 40_000 < statistics.median(sizes) < 250_000
    assert sizes[-1] > 20 * statistics.median(sizes)  # a long tail
    assert any("subagents" in str(p) for p in root.rglob("*.jsonl"))


def test_the_corpus_is_deterministic_for_a_seed(tmp_path):
    first = write_corpus(tmp_path / "a", target_bytes=2_000_000, seed=5)
    second = write_corpus(tmp_path / "b", target_bytes=2_000_000, seed=5)
    assert first == second and _digest(tmp_path / "a") == _digest(tmp_path / "b")
