"""The demo team: fourteen developers in four teams, each with a working pattern and a spend profile.

Each developer-day is generated from its own seed (seed, email, date), so the same day comes out
the same whatever window is asked for, and re-generating an overlapping window gives identical
files. A day's sessions are written until the day's budget is spent, priced with the list rates
below (used here only to shape the demo; costdash prices imports from its own rate table).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
import math
from pathlib import Path
import random
import re
from zoneinfo import ZoneInfo

from .conversation import Habits, Tally, Usage
from .corpus import encode_cwd
from .lines import new_uuid
from .payloads import DEMO_SHAPE, Payloads
from .session import Session, SessionPlan, session_slug

LOCAL = ZoneInfo("America/New_York")
UNKNOWN_MODEL = "claude-experimental-9"
# USD per million tokens: input, 5m write, 1h write, cache read, output (shared/formats/pricing.md).
RATES = {
    "claude-opus-4-6": (5, 6.25, 10, 0.50, 25),
    "claude-sonnet-4-6": (3, 3.75, 6, 0.30, 15),
    "claude-sonnet-4-5": (3, 3.75, 6, 0.30, 15),
    "claude-haiku-4-5": (1, 1.25, 2, 0.10, 5),
}
DEMO_TEAMS = {"Platform": "CC-100", "Product": "CC-200", "Data": "CC-300", "Mobile": "CC-400"}

# The demo keeps files small: fewer, fuller responses than real ones (which have more lines per dollar).
OPUS = Habits(models=(("claude-opus-4-6", 0.9), ("claude-sonnet-4-6", 0.1)), thinking_rate=0.35,
              new_tokens_median=8_000, output_median=1_000, share_1h=0.9, task_rate=0.06,
              compact_at=165_000, compact_at_1m=550_000, tool_calls=(85, 12, 3), turns_median=10,
              switch_rate=0.03)
MIXED = replace(OPUS, models=(("claude-opus-4-6", 0.45), ("claude-sonnet-4-6", 0.55)), thinking_rate=0.4)
SONNET = replace(OPUS, models=(("claude-sonnet-4-6", 0.75), ("claude-sonnet-4-5-20250929", 0.25)),
                thinking_rate=0.2, output_median=800, share_1h=0.85)
HAIKU = replace(SONNET, models=(("claude-haiku-4-5-20251001", 0.8), ("claude-sonnet-4-6", 0.2)),
                subagent_models=(("claude-haiku-4-5-20251001", 1.0),), thinking_rate=0.1)
LOW_CACHE = replace(SONNET, share_1h=0.1, miss_rate=0.45)


@dataclass(frozen=True)
class Profile:
    """How one demo developer works and spends."""

    email: str
    name: str
    team: str
    daily: float  # median spend on an active day, USD
    habits: Habits
    spread: float = 0.45  # day-to-day variation (sigma of a lognormal)
    weekday: float = 0.9  # chance of working on a weekday
    weekend: float = 0.04
    evening: float = 0.08  # share of sessions started in the evening: these cross UTC midnight
    repos: tuple[str, ...] = ("api", "web")  # checked out in the team's dev container, /workspace/<repo>
    own_checkout: str | None = None  # a second checkout (on their own machine) of the repo it ends in


PROFILES = (
    Profile("priya.raman@example.com", "Priya Raman", "Platform", 20, OPUS, spread=0.5, repos=("api", "infra"),
            own_checkout="/home/priya/src/api"),
    Profile("marcus.chen@example.com", "Marcus Chen", "Platform", 12, MIXED),
    Profile("elena.petrova@example.com", "Elena Petrova", "Platform", 9, SONNET, repos=("api", "infra")),
    Profile("tom.becker@example.com", "Tom Becker", "Platform", 8, SONNET, weekday=0.3, weekend=0.0, repos=("infra",)),
    Profile("aisha.okafor@example.com", "Aisha Okafor", "Product", 17, OPUS, evening=0.3),
    Profile("diego.alvarez@example.com", "Diego Alvarez", "Product", 12, LOW_CACHE, repos=("web",)),
    Profile("hannah.lee@example.com", "Hannah Lee", "Product", 3, HAIKU, spread=0.35),
    Profile("sam.patel@example.com", "Sam Patel", "Product", 10, SONNET, repos=("web",)),
    Profile("yuki.tanaka@example.com", "Yuki Tanaka", "Data", 12, MIXED, weekend=0.3, repos=("data-pipeline", "api")),
    Profile("lars.nilsson@example.com", "Lars Nilsson", "Data", 3.5, HAIKU, repos=("data-pipeline",)),
    Profile("fatima.zahra@example.com", "Fatima Zahra", "Data", 20, OPUS, weekday=0.35, spread=0.6,
            repos=("data-pipeline",)),
    Profile("noah.williams@example.com", "Noah Williams", "Mobile", 11, SONNET, repos=("mobile",)),
    Profile("grace.kim@example.com", "Grace Kim", "Mobile", 12, MIXED, evening=0.45, repos=("mobile", "api"),
            own_checkout="/Users/grace/Developer/mobile"),
    Profile("owen.murphy@example.com", "Owen Murphy", "Mobile", 2.5, HAIKU, weekday=0.3, repos=("mobile",)),
)
# Folders below a repository's root where a session may start (its project is still the repository).
SUBDIRS = {"api": ("services/billing", "services/auth"), "web": ("packages/ui", "packages/design-system"),
           "data-pipeline": ("dbt/warehouse", "notebooks"), "mobile": ("ios", "android"), "infra": ("terraform",)}
BROKEN_CACHE_COST = 2.5  # a session with a broken cache prefix runs up this many times its share of the day


@dataclass(frozen=True)
class DemoDeveloper:
    email: str
    name: str
    team: str
    path: Path  # this developer's transcript tree: <root>/<slug>/projects

    @property
    def cost_center(self) -> str:
        return DEMO_TEAMS[self.team]


def usage_cost(model: str, usage: Usage) -> float | None:
    """List-price USD of one request, or None for a model with no rate (the demo's unpriced case)."""
    rates = RATES.get(re.sub(r"-\d{8}$", "", model))
    if rates is None:
        return None
    tokens = (usage.input, usage.write_5m, usage.write_1h, usage.read, usage.output)
    return sum(t * r for t, r in zip(tokens, rates, strict=True)) / 1_000_000


def _day_rng(profile: Profile, day: date, seed: int) -> random.Random:
    return random.Random(f"demo:{seed}:{profile.email}:{day.isoformat()}")


def _active(rng: random.Random, profile: Profile, day: date) -> bool:
    """The first draw of a day's generator: does this developer work that day?"""
    return rng.random() < (profile.weekend if day.weekday() >= 5 else profile.weekday)


def _budget(rng: random.Random, profile: Profile, day: date) -> float:
    budget = profile.daily * math.exp(rng.gauss(0, profile.spread))
    if rng.random() < 0.06:  # a crunch day: a big refactor, a migration, an incident
        budget *= rng.uniform(2.0, 3.0)
    budget = min(budget, 4 * profile.daily, 150.0)
    return budget * (0.5 if day.weekday() >= 5 else 1.0)


def _start_ms(rng: random.Random, profile: Profile, day: date) -> int:
    """A session start in New York working hours, or in the evening (past UTC midnight)."""
    if rng.random() < profile.evening:
        minutes = rng.randint(19 * 60 + 15, 22 * 60 + 30)
    else:
        minutes = rng.choice((rng.randint(9 * 60, 12 * 60), rng.randint(13 * 60, 17 * 60 + 30)))
    local = datetime.combine(day, time(minutes // 60, minutes % 60, rng.randint(0, 59)), LOCAL)
    return int(local.timestamp() * 1000) + rng.randint(0, 999)


def _version(day: date) -> str:
    return f"2.1.{max(1, 30 + (day - date(2026, 1, 1)).days // 3)}"


def _slug(profile: Profile) -> str:
    return profile.email.split("@")[0].replace(".", "-")


def _checkout(rng: random.Random, profile: Profile, repo: str, branch: str) -> str:
    """The session's working directory: the repository's checkout (the team's dev container, or
    now and then the developer's own), a git worktree of it for a feature branch, or a folder inside."""
    root = f"/workspace/{repo}"
    own = profile.own_checkout
    if own and own.rsplit("/", 1)[-1] == repo and rng.random() < 0.4:
        root = own
    if branch.startswith("feat/") and rng.random() < 0.5:
        return f"{root}/.worktrees/{branch.removeprefix('feat/')}"
    if rng.random() < 0.25:
        return f"{root}/{rng.choice(SUBDIRS[repo])}"
    return root


def _write_day(profile: Profile, tree: Path, day: date, *, seed: int, payloads: Payloads, tally: Tally,
              odd_model: str | None = None, broken_cache: bool = False) -> None:
    """Write every session one developer started on one (New York) day; with ``broken_cache`` its
    last session has a broken cache prefix (and runs up BROKEN_CACHE_COST times its share)."""
    rng = _day_rng(profile, day, seed)
    if not _active(rng, profile, day):
        return
    budget = _budget(rng, profile, day)
    count = max(1, min(5, int(budget // 20) + rng.randint(0, 1)))
    shares = [rng.uniform(0.5, 1.5) for _ in range(count)]
    for n, share in enumerate(shares):
        repo = rng.choice(profile.repos)
        branch = rng.choice(("main", "main", f"feat/{repo}-{rng.randint(100, 999)}", ""))
        cwd = _checkout(rng, profile, repo, branch)
        session_rng = random.Random(rng.getrandbits(64))
        broken = broken_cache and n == count - 1
        plan = SessionPlan(
            session_id=new_uuid(session_rng), project_dir=tree / encode_cwd(cwd), cwd=cwd, branch=branch,
            version=_version(day), slug=session_slug(rng), start_ms=_start_ms(rng, profile, day),
            habits=profile.habits, odd_model=odd_model if n == 0 else None, broken_cache=broken)
        spend = budget * share / sum(shares) * (BROKEN_CACHE_COST if broken else 1)
        _write_session(session_rng, payloads, plan, tally, spend)


def _write_session(rng: random.Random, payloads: Payloads, plan: SessionPlan, tally: Tally, budget: float) -> None:
    spent = [0.0]

    def on_request(model: str, ts: int, usage: Usage) -> None:
        spent[0] += usage_cost(model, usage) or 0.0

    session = Session(rng, payloads, plan, tally, on_request)
    session.run(lambda s: spent[0] >= budget)
    session.close()


def _odd_day(profiles: tuple[Profile, ...], days: list[date], seed: int) -> tuple[str, date] | None:
    """Where the one request with an unknown model goes: a recent active day of the second developer."""
    for profile in profiles[1:] + profiles[:1]:
        for day in days[-14:]:
            if _active(_day_rng(profile, day, seed), profile, day):
                return profile.email, day
    return None


# Who has a session with a broken cache prefix, and about how many days before the window's end:
# one in the last few days (so a short window has one too), the others spread over two months.
BROKEN_CACHE = ((1, 2), (4, 9), (8, 20), (11, 33), (0, 47))


def _broken_cache_days(profiles: tuple[Profile, ...], days: list[date], seed: int) -> set[tuple[str, date]]:
    """(email, day) of the days with a broken-cache session: each BROKEN_CACHE developer's first
    active day at or before their target (else the nearest later one) within the window."""
    found = set()
    for index, back in BROKEN_CACHE:
        profile = profiles[index % len(profiles)]
        target = max(0, len(days) - 1 - back)
        order = list(range(target, -1, -1)) + list(range(target + 1, len(days)))
        active = (days[i] for i in order if _active(_day_rng(profile, days[i], seed), profile, days[i]))
        day = next(active, None)
        if day is not None:
            found.add((profile.email, day))
    return found


def write_demo_team(root: Path, *, end: date, days: int = 60, seed: int = 7) -> list[DemoDeveloper]:
    """Write one transcript tree per demo developer under ``root/<slug>/projects``, for ``days`` days to ``end``."""
    root = Path(root)
    payloads = Payloads(DEMO_SHAPE, seed)
    window = [end - timedelta(days=n) for n in range(days - 1, -1, -1)]
    odd = _odd_day(PROFILES, window, seed)
    broken = _broken_cache_days(PROFILES, window, seed)
    developers = []
    for profile in PROFILES:
        tree = root / _slug(profile) / "projects"
        tree.mkdir(parents=True, exist_ok=True)
        for day in window:
            odd_model = UNKNOWN_MODEL if odd == (profile.email, day) else None
            _write_day(profile, tree, day, seed=seed, payloads=payloads, tally=Tally(), odd_model=odd_model,
                       broken_cache=(profile.email, day) in broken)
        developers.append(DemoDeveloper(profile.email, profile.name, profile.team, tree))
    return developers
