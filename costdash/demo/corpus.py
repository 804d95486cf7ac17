"""A benchmark corpus: thousands of transcript files with a realistic size distribution.

File sizes are lognormal around ``median_file_bytes`` with a long tail, plus one giant session
(15-60 MB) per 400 MB asked for, as the format notes report files of hundreds of MB in the wild.
Most bytes sit in non-usage lines (tool results carrying whole files), as in real transcripts.
The stats returned are ground truth for checking an import.
"""
from __future__ import annotations

from dataclasses import dataclass
import math
from pathlib import Path
import random
import re

from .conversation import Habits, Tally
from .lines import new_uuid
from .payloads import CORPUS_SHAPE, Payloads
from .session import Session, SessionPlan, session_slug

START_MS = 1_772_323_200_000  # 2026-03-01T00:00:00Z
SPAN_DAYS = 30
GIANT_EVERY = 400_000_000
PROJECTS = ("/home/dev/src/billing-api", "/home/dev/src/web-app", "/home/dev/src/data-pipeline",
            "/home/dev/src/mobile", "/home/dev/src/infra", "/home/dev/src/docs-site")
CORPUS_HABITS = Habits(
    models=(("claude-opus-4-6", 0.5), ("claude-sonnet-4-6", 0.3), ("claude-sonnet-4-5-20250929", 0.05),
            ("claude-haiku-4-5-20251001", 0.15)),
    task_rate=0.05,
)


@dataclass(frozen=True)
class CorpusStats:
    """What ``write_corpus`` wrote. ``distinct_requests`` is the number of events a correct import stores."""

    files: int
    bytes: int
    usage_lines: int  # billable usage lines (assistant + agent_progress echoes), synthetic ones excluded
    distinct_requests: int
    synthetic_lines: int
    sessions: int


def encode_cwd(cwd: str) -> str:
    """Claude Code's project folder name: every non-alphanumeric character becomes ``-``."""
    return re.sub(r"[^A-Za-z0-9]", "-", cwd)


def _main_target(rng: random.Random, median: int) -> int:
    return max(3_000, min(80_000_000, int(median * math.exp(rng.gauss(0, 1.5)))))


def _plan(index: int, seed: int, root: Path) -> tuple[random.Random, SessionPlan]:
    rng = random.Random(f"corpus:{seed}:{index}")
    cwd = rng.choice(PROJECTS)
    start = START_MS + rng.randrange(SPAN_DAYS * 86_400_000)
    plan = SessionPlan(
        session_id=new_uuid(rng),
        project_dir=root / "projects" / encode_cwd(cwd),
        cwd=cwd,
        branch=rng.choice(("main", "main", "develop", f"feat/task-{rng.randint(100, 999)}")),
        version=f"2.1.{rng.randint(40, 90)}",
        slug=session_slug(rng),
        start_ms=start,
        habits=CORPUS_HABITS,
    )
    return rng, plan


def write_corpus(root: Path, *, target_bytes: int, seed: int = 1, median_file_bytes: int = 100_000) -> CorpusStats:
    """Write sessions under ``root/projects/`` until at least ``target_bytes`` are on disk.

    Deterministic for a seed: session ``i`` always comes out the same.
    """
    root = Path(root)
    payloads = Payloads(CORPUS_SHAPE, seed)
    sizes = random.Random(f"corpus-sizes:{seed}")
    giants = {int(n * GIANT_EVERY * 0.8 + GIANT_EVERY / 2) for n in range(target_bytes // GIANT_EVERY)}
    tally, index, next_giant = Tally(), 0, sorted(giants)
    while tally.bytes < target_bytes:
        target = _main_target(sizes, median_file_bytes)
        if next_giant and tally.bytes >= next_giant[0]:
            next_giant.pop(0)
            target = sizes.randint(15_000_000, 60_000_000)
        rng, plan = _plan(index, seed, root)
        session = Session(rng, payloads, plan, tally)
        session.run(lambda s, target=target: s.main.sink.chars >= target)
        session.close()
        index += 1
    return CorpusStats(files=tally.files, bytes=tally.bytes, usage_lines=tally.usage_lines,
                       distinct_requests=tally.requests, synthetic_lines=tally.synthetic_lines, sessions=index)
