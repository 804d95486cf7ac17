"""A year of a large team's Claude Code requests, priced and COPYed straight into UsageEvent.

Used by ``dashboard_pages.py``. Nothing here imports Django: ``load()`` runs in spawned worker
processes that talk to PostgreSQL with psycopg, each COPYing its share of the developers.

The shape, per developer (``profiles``): a request volume (lognormal, and one developer in 25 a
heavy user at 4x), how often they work on weekdays and weekends, the share of their sessions on
Opus, how well they keep the prompt cache warm (a low ``cache_skill`` means more full-context
cache writes and fewer reads), 1-hour or 5-minute cache writes, their source (transcripts or
OpenTelemetry) and, for a few, an unpriced model. Per active day: sessions of 8-60 requests in
office hours of the org's time zone; the main Sonnet moves from 4.5 to 4.6 two thirds of the way
through; about one request in eight is a small Haiku call with no cache. Every request is priced
with ``costdash.pricing.rates.cost_of`` from ``rates.toml`` and written with the importer's own
``copy_line``, so the rows are what a real import of the same requests would store.
Each developer-day has its own seeded RNG, so the data does not depend on how work is split.

Projects and sessions (for the Projects, Sessions and session pages): each team has its own
repositories, checked out in its dev containers (``/workspace/<repo>``), and everyone also works in
one of two org-wide repositories; a session runs at a repository's root, in a git worktree of it
(``.worktrees/<task>``) or in a folder below it; one developer in five also has their own checkout
(``/home/devN/src/<repo>``: one repository, two projects until an admin merges them). About one
session in 30 is long (up to 8x the usual 8-60 requests, within the day's volume) and one in 120 has
a broken cache prefix: every main-model request writes the whole, growing, context and reads none.
These draws come from a second RNG per developer-day, so the day's request volume and activity
are what they were before projects existed.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
import random

from costdash.ingest.rows import COLUMNS, copy_line
from costdash.lib.dates import zone
from costdash.pricing.rates import RateTable, Usage, cost_of

OPUS, SONNET_OLD, SONNET_NEW, HAIKU = "claude-opus-4-6", "claude-sonnet-4-5", "claude-sonnet-4-6", "claude-haiku-4-5"
UNPRICED = "claude-neptune-preview"  # not in rates.toml: its requests are stored with cost NULL
SOURCES = ("claude_code_jsonl", "otel")
REQUESTS_PER_ACTIVE_DAY = 88  # before each developer's weight: ~76 requests per developer-day overall
SESSION_SIZE = (8, 60)
HEAVY_EVERY = 25  # one developer in 25 uses it 4x as much
FLUSH_LINES = 20_000
TEAM_COUNT = 8  # dashboard_pages.TEAMS: developer i is in team i % 8
TEAM_REPOS = ("api", "web", "worker", "sdk", "terraform")  # each team's own, as <team>-<name>
ORG_REPOS = ("monorepo", "platform-config")
SUBFOLDERS = ("services/core", "packages/ui", "cmd/server", "docs")
OWN_CHECKOUT_EVERY = 5  # one developer in five also works in a checkout of their own
LONG_SESSION, BROKEN_CACHE = 1 / 30, 1 / 120


@dataclass(frozen=True)
class Profile:
    index: int
    developer_id: int
    weight: float
    active_weekday: float
    active_weekend: float
    opus_share: float
    cache_skill: float
    one_hour: bool
    source: str
    unpriced: bool


def profiles(count: int, seed: int) -> list[dict]:
    """``count`` developer profiles (without developer ids, which the database gives)."""
    rng = random.Random(f"profiles:{seed}")
    out = []
    for i in range(count):
        heavy = i % HEAVY_EVERY == 3
        out.append({
            "index": i,
            "weight": rng.lognormvariate(0, 0.45) * (4 if heavy else 1),
            "active_weekday": rng.uniform(0.75, 0.97),
            "active_weekend": rng.uniform(0.0, 0.25),
            "opus_share": min(0.9, rng.betavariate(2, 4) * (2 if heavy else 1)),
            "cache_skill": rng.uniform(0.80, 0.99) if rng.random() < 0.8 else rng.uniform(0.45, 0.8),
            "one_hour": rng.random() < 0.6,
            "source": SOURCES[0] if rng.random() < 0.7 else SOURCES[1],
            "unpriced": i % 67 == 5,
        })
    return out


@dataclass
class Tally:
    rows: int = 0
    unpriced: int = 0
    active_days: int = 0
    cost: Decimal = Decimal(0)
    by_model: Counter | None = None

    def merge(self, other: Tally) -> None:
        self.rows += other.rows
        self.unpriced += other.unpriced
        self.active_days += other.active_days
        self.cost += other.cost
        self.by_model = (self.by_model or Counter()) + (other.by_model or Counter())


class DayWriter:
    """Builds the COPY lines of one developer-day."""

    def __init__(self, profile: Profile, batch_id: int, table: RateTable, tz_name: str, switch_day: date):
        self.p, self.batch_id, self.table = profile, batch_id, table
        self.tz, self.switch_day = zone(tz_name), switch_day

    def day(self, day: date, now: datetime, seed: int, tally: Tally) -> list[bytes]:
        p = self.p
        rng = random.Random(f"{seed}:{p.index}:{day.toordinal()}")
        if rng.random() >= (p.active_weekday if day.weekday() < 5 else p.active_weekend):
            return []
        requests = max(5, int(REQUESTS_PER_ACTIVE_DAY * p.weight * rng.lognormvariate(0, 0.4)))
        sonnet = SONNET_OLD if day < self.switch_day else SONNET_NEW
        aux = random.Random(f"projects:{seed}:{p.index}:{day.toordinal()}")  # keeps ``rng``'s draws as they were
        lines: list[bytes] = []
        while requests > 0:
            size = rng.randint(*SESSION_SIZE) * (8 if aux.random() < LONG_SESSION else 1)
            size = min(requests, size)
            requests -= size
            main = OPUS if rng.random() < p.opus_share else sonnet
            if p.unpriced and rng.random() < 0.15:
                main = UNPRICED
            start = datetime.combine(day, time(8), self.tz) + timedelta(seconds=rng.uniform(0, 10.5 * 3600))
            session = f"{rng.getrandbits(128):032x}"
            broken = aux.random() < BROKEN_CACHE
            lines += self._session(rng, day, session, self._cwd(aux), main, start, size, now, tally, broken)
        if lines:
            tally.active_days += 1
        return lines

    def _cwd(self, aux: random.Random) -> str:
        """A session's working directory: one of the developer's repositories (their team's, or an
        org-wide one), at its root, in a worktree or in a folder below it."""
        index = self.p.index
        team = f"team{index % TEAM_COUNT}"
        mine = [f"{team}-{name}" for name in TEAM_REPOS[index % 2:][:3]] + [ORG_REPOS[index % len(ORG_REPOS)]]
        repo = aux.choices(mine, weights=(5, 3, 2, 2))[0]
        root = f"/workspace/{repo}"
        if index % OWN_CHECKOUT_EVERY == 2 and repo == mine[0] and aux.random() < 0.4:
            root = f"/home/dev{index}/src/{repo}"
        where = aux.random()
        if where < 0.2:
            return f"{root}/.worktrees/task-{aux.randint(1, 400)}"
        if where < 0.35:
            return f"{root}/{aux.choice(SUBFOLDERS)}"
        return root

    def _session(self, rng, day, session, project, main, at, size, now, tally, broken=False) -> list[bytes]:
        lines = []
        for n in range(size):
            at += timedelta(seconds=3 + rng.expovariate(1 / 40))
            if at > now:
                break
            model = HAIKU if rng.random() < 0.12 else main
            tokens = _haiku_tokens(rng) if model == HAIKU else self._tokens(rng, first=n == 0)
            if broken and model != HAIKU:  # nothing read: the whole context, growing, written again
                writes = min(15_000 + 2_500 * n, 190_000)
                w1h = writes if self.p.one_hour else 0
                tokens = (tokens[0], tokens[1], writes - w1h, w1h, 0, tokens[5])
            ts = at.astimezone(timezone.utc)
            usage = Usage(model=model, input_tokens=tokens[0], output_tokens=tokens[1],
                          cache_write_5m_tokens=tokens[2], cache_write_1h_tokens=tokens[3],
                          cache_read_tokens=tokens[4], web_search_requests=tokens[5])
            cost = cost_of(usage, ts, self.table)
            key = f"bench:{self.p.developer_id}:{day.toordinal()}:{tally.rows}"
            lines.append(copy_line((
                key, self.p.source, self.batch_id, self.p.developer_id, None, ts, session, project, model, model,
                f"req_{key}", f"msg_{key}", *tokens, "standard", False, "", "", cost, None, None,
            )))
            tally.rows += 1
            tally.by_model[model] += 1
            if cost is None:
                tally.unpriced += 1
            else:
                tally.cost += cost
        return lines

    def _tokens(self, rng: random.Random, first: bool) -> tuple[int, int, int, int, int, int]:
        """(uncached input, output, 5m writes, 1h writes, reads, web searches) of a main-model request."""
        output = max(1, min(int(rng.lognormvariate(6.2, 1.0)), 32_000))
        searches = 1 if rng.random() < 0.005 else 0
        if first or rng.random() > self.p.cache_skill:  # a cold start or a miss: the context is written
            uncached, reads, writes = rng.randint(1, 20), 0, min(int(rng.lognormvariate(10.3, 0.5)), 150_000)
        else:
            uncached = rng.randint(1, 12) if rng.random() < 0.93 else rng.randint(100, 6000)
            reads = min(int(rng.lognormvariate(11.3, 0.5)), 190_000)  # median ~80k
            writes = min(int(rng.lognormvariate(7.0, 1.0)), 60_000)
        w1h = writes if self.p.one_hour else 0
        return uncached, output, writes - w1h, w1h, reads, searches


def _haiku_tokens(rng: random.Random) -> tuple[int, int, int, int, int, int]:
    """Titles, quota checks and summaries: small, no cache."""
    return rng.randint(80, 3000), rng.randint(5, 150), 0, 0, 0, 0


def load(database_url: str, table_name: str, batch_id: int, people: list[dict], days: list[date], tz_name: str,
         now: datetime, seed: int) -> Tally:
    """COPY the requests of ``people`` (profiles with a ``developer_id``) on ``days`` into ``table_name``
    in one transaction; returns what was written. Runs in a worker process."""
    import psycopg

    table = RateTable.from_file()
    switch_day = days[len(days) * 2 // 3]
    tally = Tally(by_model=Counter())
    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    with psycopg.connect(database_url) as conn:
        conn.execute("SET synchronous_commit = off")
        with conn.cursor() as cursor, cursor.copy(f'COPY "{table_name}" ({cols}) FROM STDIN') as copy:
            pending: list[bytes] = []
            for person in people:
                writer = DayWriter(Profile(**person), batch_id, table, tz_name, switch_day)
                for day in days:
                    pending += writer.day(day, now, seed, tally)
                    if len(pending) >= FLUSH_LINES:
                        copy.write(b"".join(pending))
                        pending = []
            copy.write(b"".join(pending))
    return tally
