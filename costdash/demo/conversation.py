"""One conversation thread of a generated session, and how it uses the prompt cache.

Each request re-reads the conversation so far (``cache_read`` grows turn by turn) and writes only
what is new since the previous request; a cold cache (a long pause, or a low-hit-rate habit)
re-writes everything past the system prompt. One response is written as one line per content
block, sharing ids and usage, with ``output_tokens`` growing to the final count on the last copy.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import math
import random
from typing import TYPE_CHECKING

from . import lines as L
from .lines import Head, Sink, iso, new_id, new_uuid

if TYPE_CHECKING:
    from .session import Session

PREFIX = 14_000  # system prompt + tool definitions: cached across requests and sessions
MAX_NEW = 20_000  # most tokens one tool result adds
TASK = -1  # a tool call that launches a subagent


@dataclass(frozen=True)
class Habits:
    """How one developer works: models, cache behaviour, how chatty and how agentic."""

    models: tuple[tuple[str, float], ...] = (("claude-sonnet-4-6", 1.0),)
    subagent_models: tuple[tuple[str, float], ...] = (
        ("claude-sonnet-4-5-20250929", 0.7), ("claude-haiku-4-5-20251001", 0.3))
    share_1h: float = 0.85  # share of requests whose cache writes use the 1-hour TTL
    miss_rate: float = 0.02  # chance a request finds its conversation cache cold
    task_rate: float = 0.05  # chance a tool-using request launches a subagent
    thinking_rate: float = 0.4
    new_tokens_median: int = 3_000  # tokens one tool result adds to the conversation
    output_median: int = 350
    compact_at: int = 160_000
    compact_at_1m: int | None = None  # where a 1M-context session compacts (4.6 models, from 2026-03-14)
    turns_median: int = 6  # API requests per prompt
    subagent_steps: int = 8  # API requests per subagent run
    tool_calls: tuple[int, int, int] = (70, 20, 10)  # weights of 1, 2 or 3 tool calls in one response
    switch_rate: float = 0.0  # chance a session switches its main model once (/model), early on


@dataclass
class Usage:
    input: int
    write_5m: int
    write_1h: int
    read: int
    output: int

    @property
    def write(self) -> int:
        return self.write_5m + self.write_1h


RequestHook = Callable[[str, int, Usage], None]  # (model, timestamp in ms, final usage), once per request


@dataclass
class Tally:
    """Ground truth for what was written, shared by every session of one run."""

    requests: int = 0
    usage_lines: int = 0  # billable lines: assistant lines and agent_progress echoes (not synthetic)
    synthetic_lines: int = 0
    files: int = 0
    bytes: int = 0


def pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([m for m, _ in weighted], [w for _, w in weighted])[0]


def lognormal(rng: random.Random, median: float, sigma: float, lo: int, hi: int) -> int:
    return max(lo, min(hi, int(median * math.exp(rng.gauss(0, sigma)))))


@dataclass
class Echo:
    """Where a subagent's assistant lines are echoed into the parent as agent_progress lines."""

    prompt: str
    agent_id: str
    tool_use_id: str
    rate: float


class Thread:
    """One conversation (the main one, a subagent or a compaction run) writing into one file."""

    def __init__(self, session: "Session", sink: Sink, head: Head, model: str, geo: str, *, warm: bool):
        self.session, self.rng, self.sink, self.head = session, session.rng, sink, head
        self.model, self.geo = model, geo
        self.parent: str | None = None
        self.cached = PREFIX if warm else 0
        self.pending = 0 if warm else PREFIX
        self.cold = False
        self.echo: Echo | None = None

    def add(self, body: str, uid: str) -> None:
        self.sink.add(self.head.line(self.parent, body))
        self.parent = uid

    def usage(self, output: int) -> Usage:
        """This request's tokens; the conversation is now cached up to its end."""
        rng, habits = self.rng, self.session.habits
        new = self.pending + rng.randint(5, 60)
        if self.session.plan.broken_cache and self is self.session.main:
            # A prefix that changes every turn (a timestamp in the system prompt, say): nothing
            # after it is ever found in the cache, so the whole conversation is written again.
            read, write = 0, self.cached + new
        elif self.cold or rng.random() < habits.miss_rate:
            read = min(self.cached, PREFIX)
            write = self.cached - read + new
        else:
            read, write = self.cached, new
        self.cached, self.pending, self.cold = read + write, output, False
        share = rng.random()
        one_hour = write if share < habits.share_1h else 0
        if 0.9 < share < 0.93:  # now and then a request splits its writes across both TTLs
            one_hour = write // 3
        return Usage(rng.choice((1, 2, 3, 3, 3, 4, 6, 10)), write - one_hour, one_hour, read, output)

    def request(self, tools: list[int], *, thinking: bool, text: str | None,
                output: int | None = None) -> list[tuple[str, int, str]]:
        """Write one API response, one content block per line, output growing line to line.

        Returns (tool_use id, tool index, assistant line uuid) for each tool call.
        """
        session = self.session
        model = session.take_model(self)
        final = output if output is not None else lognormal(
            self.rng, session.habits.output_median * (1.8 if thinking else 1), 0.9, 20, 16_000)
        usage = self.usage(final)
        blocks, uses = self._blocks(tools, thinking, text)
        line_uuids = self._write_copies(model, blocks, usage)
        session.record(model, usage)
        return [(tool_id, index, line_uuids[position]) for tool_id, index, position in uses]

    def _blocks(self, tools: list[int], thinking: bool, text: str | None) -> tuple[list[str], list[tuple]]:
        """The response's content blocks, and (tool_use id, tool index, block position) per tool call."""
        rng, payloads = self.rng, self.session.payloads
        blocks = []
        if thinking:
            blocks.append(L.THINKING % (rng.choice(payloads.thinking), L.signature(rng, payloads.shape.signature)))
        if text or not (blocks or tools):
            blocks.append(L.TEXT % (text or rng.choice(payloads.texts)))
        uses = []
        for index in tools:
            tool_id = new_id(rng, "toolu_01", 22)
            call = self.session.task_call() if index == TASK else payloads.calls[index]
            uses.append((tool_id, index, len(blocks)))
            blocks.append(L.TOOL_USE % (tool_id, call.tool, call.input))
        return blocks, uses

    def _write_copies(self, model: str, blocks: list[str], usage: Usage) -> list[str]:
        """One assistant line per block; all share the ids and usage except a growing output count."""
        rng, session = self.rng, self.session
        final = usage.output
        outputs = sorted(rng.randint(1, max(1, final // 3)) for _ in blocks[1:]) + [final]
        message_id, request_id = new_id(rng, "msg_01", 22), new_id(rng, "req_011C", 20)
        line_uuids = []
        for block, tokens in zip(blocks, outputs, strict=True):
            uid = new_uuid(rng)
            session.now += rng.randint(300, 4_000)
            body = L.USAGE % (usage.input, usage.write, usage.read, usage.write_5m, usage.write_1h, tokens, self.geo)
            message = L.MESSAGE % (model, message_id, block, body)
            self.add(L.ASSISTANT % (message + "}", request_id, uid, iso(session.now)), uid)
            session.tally.usage_lines += 1
            self._echo(message, request_id, uid)
            line_uuids.append(uid)
        return line_uuids

    def _echo(self, message: str, request_id: str, uid: str) -> None:
        echo = self.echo
        if echo is None or self.rng.random() >= echo.rate:
            return
        main, now, echo_uid = self.session.main, iso(self.session.now), new_uuid(self.rng)
        main.add(L.AGENT_ASSISTANT % (now, message, request_id, uid, echo.prompt, echo.agent_id,
                                      echo.tool_use_id, echo.tool_use_id, echo_uid, now), echo_uid)
        self.session.tally.usage_lines += 1
