"""One session's requests as a timeline: context size, cache use, cost per turn, and what happened.

Pure functions over request rows (no database): ``timeline(rows)`` turns a session's requests, in
time order and each counted once, into turns and marks.

A *turn* is one API request. Its *context* is what it sent: uncached input + cache reads + cache
writes. Claude Code re-sends the whole conversation every turn, so in a healthy session the context
grows turn by turn and almost all of it is a cache read; a broken cache prefix shows as a context
re-written (cache writes) instead of read.

What the stored requests do not say, and how it is inferred (UsageEvent keeps no ``isSidechain`` /
``agentId``: which requests were a subagent's, or a compaction run, is not stored):

1. A *drop*: a turn whose context is under DROP_SHARE of the main thread's last context, once that
   context is at least MIN_DROP_CONTEXT tokens (small contexts move about too much to read).
2. The run of turns that stay under DROP_SHARE is a *side thread* (likely a subagent: Claude Code
   waits on a Task call, then carries on with the same conversation) when the turn after the run
   is back to at least RESUME_SHARE of the context before the drop.
3. Otherwise the drop stays (the run reaches the session's end, or the context builds up again
   from the low point): a *compaction*, marked at the run's first turn; unless every turn of the
   run is on another model than the main thread's (a compaction keeps the model): a side thread.
4. A *model switch*: a main-thread turn on another model than the main thread's that the session
   keeps. A run of at most MAX_SIDE_RUN turns on another model followed by the main thread's model
   again is a side thread (a subagent on its own model: Claude Code's Task agents often run Haiku or
   Sonnet under an Opus session), not two switches.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

DROP_SHARE = (1, 2)  # under half the previous context: a drop (a fraction as integers: exact)
RESUME_SHARE = (9, 10)  # back to 90% of the context before the drop: the main thread resumed
MIN_DROP_CONTEXT = 20_000
MAX_SIDE_RUN = 30  # a run of turns on another model that returns to the main thread's within this many
COMPACTION, MODEL_SWITCH = "compaction", "model_switch"


class Turn(NamedTuple):
    number: int  # 1 for the session's first request
    at: datetime
    model: str
    input: int
    cache_read: int
    cache_write: int
    output: int
    cost: Decimal | None  # None: the model has no known price
    cumulative: Decimal  # priced cost of turns 1..number
    side: bool  # inferred: part of a side thread (likely a subagent)

    @property
    def context(self) -> int:
        return self.input + self.cache_read + self.cache_write


class Mark(NamedTuple):
    number: int  # the turn it happens at
    kind: str  # COMPACTION or MODEL_SWITCH
    text: str  # "Compaction: 152,000 → 21,000 tokens", "Model: a → b"


class Timeline(NamedTuple):
    turns: list[Turn]
    marks: list[Mark]

    @property
    def side_turns(self) -> int:
        return sum(turn.side for turn in self.turns)


def timeline(rows: Sequence[dict]) -> Timeline:
    """The turns and marks of a session's requests.

    rows: dicts with timestamp, model, input_tokens, cache_read_tokens, cache_write_5m_tokens,
    cache_write_1h_tokens, output_tokens and cost, already in time order, one per request.
    """
    turns = _turns(rows)
    contexts = [turn.context for turn in turns]
    side = [False] * len(turns)
    marks: list[Mark] = []
    level: int | None = None  # the main thread's last context
    model = ""  # the main thread's last model
    i = 0
    while i < len(turns):
        if level is not None and level >= MIN_DROP_CONTEXT and _below(contexts[i], level, DROP_SHARE):
            end = i
            while end < len(turns) and _below(contexts[end], level, DROP_SHARE):
                end += 1
            resumed = end < len(turns) and not _below(contexts[end], level, RESUME_SHARE)
            if resumed or all(turn.model != model for turn in turns[i:end]):
                side[i:end] = [True] * (end - i)  # rule 2: the main thread resumed at `end`, or
                i = end  # a fresh, small conversation on another model: a subagent's (rule 3)
                continue
            marks.append(Mark(i + 1, COMPACTION, f"Compaction: {level:,} → {contexts[i]:,} tokens"))
        if model and turns[i].model != model:
            end = _run_end(turns, i)
            if end < len(turns) and end - i <= MAX_SIDE_RUN and turns[end].model == model:
                side[i:end] = [True] * (end - i)  # rule 4: back on the main thread's model
                i = end
                continue
            marks.append(Mark(i + 1, MODEL_SWITCH, f"Model: {model} → {turns[i].model}"))
        level, model = contexts[i], turns[i].model
        i += 1
    return Timeline([turn._replace(side=flag) for turn, flag in zip(turns, side, strict=True)], marks)


def _run_end(turns: list[Turn], i: int) -> int:
    """The first turn after ``i`` on another model than turn ``i``'s (looking at most MAX_SIDE_RUN + 1
    turns ahead: a longer run is a switch whatever follows)."""
    end = i
    while end < len(turns) and end - i <= MAX_SIDE_RUN and turns[end].model == turns[i].model:
        end += 1
    return end


def _below(value: int, reference: int, share: tuple[int, int]) -> bool:
    return value * share[1] < reference * share[0]


def _turns(rows: Sequence[dict]) -> list[Turn]:
    out, total = [], Decimal(0)
    for number, row in enumerate(rows, start=1):
        if row["cost"] is not None:
            total += row["cost"]
        out.append(Turn(
            number=number, at=row["timestamp"], model=row["model"], input=row["input_tokens"],
            cache_read=row["cache_read_tokens"],
            cache_write=row["cache_write_5m_tokens"] + row["cache_write_1h_tokens"],
            output=row["output_tokens"], cost=row["cost"], cumulative=total, side=False,
        ))
    return out
