"""One generated Claude Code session: the main transcript, its subagent files, and the echoes between them.

Past ``compact_at`` tokens the conversation is compacted by an ``agent-acompact-*`` run, as Claude
Code does. No request goes over 200K input tokens (which would need long-context prices), except
that 4.6 models may use their 1M context at standard prices from 2026-03-14 (``compact_at_1m``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
import random

from . import lines as L
from .conversation import MAX_NEW, PREFIX, TASK, Echo, Habits, RequestHook, Tally, Thread, Usage, lognormal, pick
from .lines import Head, Sink, iso, new_id, new_uuid
from .payloads import Payloads, ToolCall, ToolResult

LONG_CONTEXT = 200_000  # above this many input tokens a request is long-context
ONE_M_MODELS = ("claude-opus-4-6", "claude-sonnet-4-6")
ONE_M_FROM_MS = 1_773_446_400_000  # 2026-03-14T00:00:00Z: 4.6 models' 1M context at standard rates
SUBAGENT_LIMIT = 150_000


@dataclass
class SessionPlan:
    session_id: str
    project_dir: Path
    cwd: str
    branch: str
    version: str
    slug: str
    start_ms: int
    habits: Habits
    odd_model: str | None = None  # used once, for the first request (the "unpriced" demo case)
    broken_cache: bool = False  # the main thread's prefix changes every turn: it writes what it should read


class Session:
    """Writes one session; ``run`` keeps adding prompts until ``done(session)`` says stop."""

    def __init__(self, rng: random.Random, payloads: Payloads, plan: SessionPlan, tally: Tally,
                 on_request: RequestHook | None = None):
        self.rng, self.payloads, self.plan, self.tally = rng, payloads, plan, tally
        self.habits, self.now, self.on_request = plan.habits, plan.start_ms, on_request
        self.odd_model = plan.odd_model
        self.sinks: list[Sink] = []
        self.main = Thread(self, self._sink(plan.project_dir / f"{plan.session_id}.jsonl"),
                           self._head(None), pick(rng, plan.habits.models), "global", warm=rng.random() < 0.7)
        self.backups: list[str] = []
        self.compact_at, self.input_limit = self._context_window()
        self.prompts = 0
        # The prompt before which the developer switches the main model (/model), if they do.
        # (No draw at a rate of 0: the benchmark corpus comes out as it did before switches existed.)
        switches = plan.habits.switch_rate > 0 and rng.random() < plan.habits.switch_rate
        self.switch_at = rng.randint(2, 5) if switches else None

    def _context_window(self) -> tuple[int, int]:
        """(compact past this many tokens, never send more than this many) for the main thread."""
        habits, model = self.habits, self.main.model
        if habits.compact_at_1m and model in ONE_M_MODELS and self.now >= ONE_M_FROM_MS:
            return habits.compact_at_1m, 1_000_000
        return habits.compact_at, LONG_CONTEXT

    def _sink(self, path: Path) -> Sink:
        sink = Sink(path)
        self.sinks.append(sink)
        return sink

    def close(self) -> None:
        """Flush and close every file of this session, and count them in the tally."""
        for sink in self.sinks:
            sink.close()
            self.tally.files += 1
            self.tally.bytes += sink.bytes

    def _head(self, agent_id: str | None) -> Head:
        p = self.plan
        return Head.build(cwd=p.cwd, session_id=p.session_id, version=p.version, branch=p.branch,
                          slug=p.slug, agent_id=agent_id)

    def take_model(self, thread: Thread) -> str:
        """The model of the thread's next request (the odd model once, on the main thread, if planned)."""
        if self.odd_model and thread is self.main:
            model, self.odd_model = self.odd_model, None
            return model
        return thread.model

    def record(self, model: str, usage: Usage) -> None:
        """Count one distinct request and report it (with its final usage) to the caller."""
        self.tally.requests += 1
        if self.on_request:
            self.on_request(model, self.now, usage)

    def task_call(self) -> ToolCall:
        prompt = self.rng.choice(self.payloads.prompts)
        return ToolCall("Task", '{"description":"Explore the code","prompt":%s,"subagent_type":"Explore"}' % prompt)

    def run(self, done: Callable[["Session"], bool]) -> None:
        """Write prompts until ``done``; leaves the clock at the session's last line."""
        rng, main = self.rng, self.main
        if rng.random() < 0.15:
            main.sink.add(L.SUMMARY % (rng.choice(self.payloads.texts), new_uuid(rng)))
        self._hook(main, "SessionStart", "SessionStart:startup", new_uuid(rng))
        while not done(self):
            self._prompt(done)
        if rng.random() < 0.2:
            main.sink.add(L.QUEUE % (iso(self.now), self.plan.session_id, rng.choice(self.payloads.prompts)))

    def _prompt(self, done: Callable[["Session"], bool]) -> None:
        rng, main, habits = self.rng, self.main, self.habits
        pause = lognormal(rng, 90_000, 1.0, 5_000, 2_400_000)
        self.now += pause
        if pause > (3_600_000 if habits.share_1h >= 0.5 else 300_000):
            main.cold = True
        started = self.now
        self.prompts += 1
        if self.prompts == self.switch_at:
            self._switch_model()
        self._snapshot()
        uid = new_uuid(rng)
        main.add(L.PROMPT % (rng.choice(self.payloads.prompts), uid, iso(self.now)), uid)
        main.pending += rng.randint(20, 400)
        turns = lognormal(rng, habits.turns_median, 0.8, 1, 40)
        for turn in range(turns):
            if main.cached + main.pending > self.compact_at:
                self._compact()
            tools = [] if turn == turns - 1 else self._tools()
            uses = main.request(tools, thinking=rng.random() < habits.thinking_rate,
                                text=None if tools and rng.random() < 0.5 else rng.choice(self.payloads.texts))
            self._results(main, uses)
            if done(self):
                break
        if rng.random() < 0.01:
            uid = new_uuid(rng)
            main.add(L.SYNTHETIC % (uid, iso(self.now), new_uuid(rng)), uid)
            self.tally.synthetic_lines += 1
        self._stop_lines(started)

    def _tools(self, allow_task: bool = True) -> list[int]:
        rng = self.rng
        count = rng.choices((1, 2, 3), self.habits.tool_calls)[0]
        tools = [rng.randrange(len(self.payloads.calls)) for _ in range(count)]
        if allow_task and rng.random() < self.habits.task_rate:
            tools[0] = TASK
        return tools

    def _results(self, thread: Thread, uses: list[tuple[str, int, str]]) -> None:
        """The tool results (and hook lines) for each tool call of a response."""
        rng, shape = self.rng, self.payloads.shape
        for tool_id, index, caller in uses:
            if index == TASK:
                self._subagent(tool_id, caller)
                continue
            result = self.payloads.results[index]
            self.now += rng.randint(200, 15_000)
            for _ in range(rng.randint(*shape.hook_lines)):
                self._hook(thread, "PostToolUse", f"PostToolUse:{result.tool}", tool_id)
            if result.tool == "Bash" and rng.random() < shape.bash_progress:
                uid = new_uuid(rng)
                thread.add(L.BASH_PROGRESS % (result.content, rng.randint(1, 90), result.content.count("\\n") + 1,
                                              self.now, tool_id, uid, iso(self.now)), uid)
            uid = new_uuid(rng)
            thread.add(L.TOOL_RESULT % (tool_id, result.content, uid, iso(self.now), result.tool_use_result, caller),
                       uid)
            thread.pending += self._result_tokens(result)
            if result.tool == "Edit" and len(self.backups) < shape.max_backups:
                self.backups.append(L.BACKUP % (f"src/f{len(self.backups)}.py", new_id(rng, "", 16), 1, 1,
                                                iso(self.now)))

    def _result_tokens(self, result: ToolResult) -> int:
        """What a tool result adds to the conversation, in tokens."""
        if self.payloads.shape.tokens_from_result:
            return min(MAX_NEW, result.tokens)
        return lognormal(self.rng, self.habits.new_tokens_median, 0.9, 30, MAX_NEW)

    def _subagent(self, tool_id: str, caller: str) -> None:
        """A Task run: its own file under subagents/, echoed (in part) into the main file."""
        rng, main = self.rng, self.main
        agent_id = "a%06x" % rng.getrandbits(24)
        path = self.plan.project_dir / self.plan.session_id / "subagents" / f"agent-{agent_id}.jsonl"
        agent = Thread(self, self._sink(path), self._head(agent_id), pick(rng, self.habits.subagent_models),
                       "not_available", warm=rng.random() < 0.5)
        prompt = rng.choice(self.payloads.prompts)
        rate = rng.choice((0.0, 0.5, 1.0, 1.0))
        agent.echo = Echo(prompt, agent_id, tool_id, rate) if rate else None
        started, uid = self.now, new_uuid(rng)
        agent.add(L.PROMPT % (prompt, uid, iso(self.now)), uid)
        if rate:
            echo_uid = new_uuid(rng)
            main.add(L.AGENT_USER % (prompt, uid, iso(self.now), prompt, agent_id, tool_id, tool_id, echo_uid,
                                     iso(self.now)), echo_uid)
        steps = lognormal(rng, self.habits.subagent_steps, 0.8, 1, 60)
        for step in range(steps):
            last = step == steps - 1 or agent.cached + agent.pending > SUBAGENT_LIMIT
            tools = [] if last else self._tools(allow_task=False)
            text = None if tools else rng.choice(self.payloads.reports)
            self._results(agent, agent.request(tools, thinking=False, text=text))
            if last:
                break
        report = rng.choice(self.payloads.reports)
        uid = new_uuid(rng)
        detail = ('{"status":"completed","prompt":%s,"agentId":"%s","content":[{"type":"text","text":%s}],'
                  '"totalDurationMs":%d,"totalToolUseCount":%d}') % (prompt, agent_id, report,
                                                                     self.now - started, step)
        main.add(L.TOOL_RESULT % (tool_id, report, uid, iso(self.now), detail, caller), uid)
        main.pending += len(report) // 4

    def _compact(self) -> None:
        """Auto-compaction: an acompact run reads the whole conversation; the main thread restarts small."""
        rng, main = self.rng, self.main
        agent_id = "acompact-%06x" % rng.getrandbits(24)
        path = self.plan.project_dir / self.plan.session_id / "subagents" / f"agent-{agent_id}.jsonl"
        thread = Thread(self, self._sink(path), self._head(agent_id), main.model, main.geo, warm=True)
        # What no longer fits is dropped (Claude Code clears old tool results first).
        thread.cached, thread.pending = main.cached, max(0, min(main.pending, self.input_limit - 1_000 - main.cached))
        for _ in range(rng.randint(1, 4)):
            uid = new_uuid(rng)
            thread.add(L.PROMPT % (rng.choice(self.payloads.reports), uid, iso(self.now)), uid)
        summary = rng.choice(self.payloads.summaries)
        # Real compaction lines record only the message_start output count (a handful of tokens).
        thread.request([], thinking=False, text=summary, output=rng.randint(5, 12))
        before = main.cached + main.pending
        self._hook(main, "SessionStart", "SessionStart:compact", new_uuid(rng))
        uid = new_uuid(rng)
        main.add(L.COMPACT_BOUNDARY % (iso(self.now), uid, before), uid)
        uid = new_uuid(rng)
        main.add(L.COMPACT_SUMMARY % (summary, uid, iso(self.now)), uid)
        main.cached, main.pending = PREFIX, rng.randint(3_000, 9_000)

    def _switch_model(self) -> None:
        """``/model``: the main thread moves to another of the developer's models. A cache belongs to
        one model, so the next request writes the conversation again. Only while the conversation
        fits every model's window (no switch to a model it would overflow)."""
        rng, main = self.rng, self.main
        others = tuple((m, w) for m, w in self.habits.models if m != main.model)
        if not others or main.cached + main.pending >= self.habits.compact_at:
            return
        model = pick(rng, others)
        alias = model.split("-")[1]
        uid = new_uuid(rng)
        main.add(L.COMMAND % ("/model", "model", alias, uid, iso(self.now)), uid)
        self.now += rng.randint(500, 3_000)
        uid = new_uuid(rng)
        main.add(L.COMMAND_OUTPUT % (f"Set model to {model}", uid, iso(self.now)), uid)
        main.model, main.cold = model, True
        self.compact_at, self.input_limit = self._context_window()

    def _hook(self, thread: Thread, event: str, name: str, tool_id: str) -> None:
        uid = new_uuid(self.rng)
        self.now += self.rng.randint(5, 300)
        thread.add(L.HOOK % (event, name, self.rng.choice(self.payloads.hook_commands), tool_id, tool_id,
                             iso(self.now), uid), uid)

    def _snapshot(self) -> None:
        uid = new_uuid(self.rng)
        self.main.sink.add(L.SNAPSHOT % (uid, uid, ",".join(self.backups), iso(self.now)))

    def _stop_lines(self, started: int) -> None:
        rng, main = self.rng, self.main
        self.now += rng.randint(50, 900)
        uid = new_uuid(rng)
        main.add(L.STOP_HOOKS % (rng.choice(self.payloads.hook_commands), iso(self.now), uid, new_uuid(rng)), uid)
        uid = new_uuid(rng)
        main.add(L.TURN_DURATION % (self.now - started, iso(self.now), uid), uid)


def session_slug(rng: random.Random) -> str:
    words = ("radiant", "floating", "music", "modular", "petting", "thompson", "quiet", "amber", "river", "cobalt")
    return "-".join(rng.choice(words) for _ in range(3))

