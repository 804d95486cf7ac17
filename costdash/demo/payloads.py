"""Pre-built text for generated transcripts: prompts, thinking, replies, tool calls and tool results.

Everything here is JSON-escaped once, when a ``Payloads`` is built, so that writing a line is a
string format and never a ``json.dumps`` of a big value. The ``Shape`` says how bulky the
non-usage lines are: the demo keeps files small, the benchmark corpus is as bulky as real files
(tool results carrying whole files, echoed again in ``toolUseResult``).
"""
from __future__ import annotations

from dataclasses import dataclass
import json
import math
import random

WORDS = (
    "account batch buffer cache channel client config cursor daily dedupe developer event export "
    "handler import invoice ledger limit loader metric model monthly parser payload price query "
    "queue record report request rollup schema session settings snapshot source stream summary "
    "team tenant threshold token total transcript upload user window worker"
).split()
USAGE_WORDS = "usage usage_total usage_lines usage_event daily_usage".split()
ARROW = "\u2192"  # Claude Code's Read tool numbers lines as "     1→code"

CODE_TEMPLATES = (
    "def {w}_{v}({x}, {y}=None):",
    '    """Return the {w} {v} for one {x}."""',
    "    {x} = {y}.{w}_{v}({x})",
    "    if {x} is None:",
    '        raise ValueError("no {w} for {x}")',
    "    return [{x} for {x} in {y} if {x}.{w}]",
    "class {W}{V}:",
    "    {w}: int = 0",
    "from costdash.{w} import {w}_{v}",
    "import {w}",
    "# {w} {v}: keep the {x} with the most {y}",
    "    for {x} in {y}.{w}_set.all():",
    "        total += {x}.{v}",
    "  defp {w}_{v}({x}, {y}), do: {x} |> Enum.map(&{w}/1)",
    "  @spec {w}({x}) :: {{:ok, {y}}} | {{:error, term()}}",
    "    expect({x}.{w}).toEqual({y});",
    "",
)


@dataclass(frozen=True)
class Shape:
    """How big the non-usage payloads are, and how many hook/progress lines a tool call gets."""

    result_median: int  # characters of a typical tool result
    result_sigma: float
    result_max: int
    pool: int  # how many distinct tool results to pre-build
    hook_lines: tuple[int, int]  # hook_progress lines per tool call (min, max)
    bash_progress: float  # chance a Bash call also writes a bash_progress line with its output
    echo_tool_result: bool  # copy the result into toolUseResult, as real lines do
    tokens_from_result: bool  # a result adds its own size in tokens (else a draw from the habits)
    signature: tuple[int, int]  # characters of a thinking block's signature
    prose: int  # most sentences in a thinking or text block
    report_chars: tuple[int, int]  # a subagent's final report
    max_backups: int  # files a file-history-snapshot tracks at most


DEMO_SHAPE = Shape(result_median=240, result_sigma=0.6, result_max=1_500, pool=48,
                   hook_lines=(0, 1), bash_progress=0.0, echo_tool_result=False, tokens_from_result=False,
                   signature=(40, 120), prose=2, report_chars=(150, 500), max_backups=4)
CORPUS_SHAPE = Shape(result_median=2_600, result_sigma=1.1, result_max=150_000, pool=160,
                     hook_lines=(1, 3), bash_progress=0.25, echo_tool_result=True, tokens_from_result=True,
                     signature=(200, 700), prose=6, report_chars=(600, 2_500), max_backups=40)


def js(text: str) -> str:
    """``text`` as a JSON string literal (UTF-8 kept raw, as Claude Code writes it)."""
    return json.dumps(text, ensure_ascii=False)


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _code_line(rng: random.Random, words: list[str]) -> str:
    w, v, x, y = (rng.choice(words) for _ in range(4))
    return rng.choice(CODE_TEMPLATES).format(w=w, v=v, x=x, y=y, W=w.title(), V=v.title())


def _source_file(rng: random.Random, chars: int) -> str:
    """Code-looking text of about ``chars`` characters; one file in seven talks about usage."""
    words = WORDS + USAGE_WORDS if rng.random() < 0.15 else WORDS
    lines, size = [], 0
    while size < chars:
        line = _code_line(rng, words)
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


def _numbered(text: str) -> str:
    return "\n".join(f"{n:>6}{ARROW}{line}" for n, line in enumerate(text.split("\n"), 1))


@dataclass(frozen=True)
class ToolResult:
    """One pre-escaped tool result: what the model saw, and the matching ``toolUseResult``."""

    tool: str
    content: str  # JSON literal
    tool_use_result: str  # JSON object text
    tokens: int  # roughly what it adds to the conversation


@dataclass(frozen=True)
class ToolCall:
    tool: str
    input: str  # JSON object text


class Payloads:
    """Pools of pre-escaped text for one ``Shape``, built from a seed."""

    def __init__(self, shape: Shape, seed: int | str = 0):
        rng = random.Random(f"payloads:{seed}")
        self.shape = shape
        self.prompts = [js(_sentence(rng, rng.randint(6, 40))) for _ in range(40)]
        self.thinking = [js(" ".join(_sentence(rng, rng.randint(8, 20)) for _ in range(rng.randint(1, shape.prose))))
                         for _ in range(40)]
        self.texts = [js(" ".join(_sentence(rng, rng.randint(5, 16)) for _ in range(rng.randint(1, shape.prose))))
                      for _ in range(40)]
        self.reports = [js(_source_file(rng, rng.randint(*shape.report_chars))) for _ in range(12)]
        self.summaries = [js("<analysis>\n" + _source_file(rng, rng.randint(3_000, 9_000)) + "\n</analysis>")
                          for _ in range(6)]
        self.results = [self._result(rng) for _ in range(shape.pool)]
        self.calls = [self._call(rng, r.tool) for r in self.results]
        self.hook_commands = [js(c) for c in (
            "~/.claude/hooks/format-on-save.sh", "${CLAUDE_PLUGIN_ROOT}/hooks/post-edit.sh",
            "~/.claude/hooks/tmux-waiting.sh mark", "npx prettier --write \"$FILE\"")]

    def _size(self, rng: random.Random) -> int:
        shape = self.shape
        size = int(shape.result_median * math.exp(rng.gauss(0, shape.result_sigma)))
        return max(40, min(shape.result_max, size))

    def _result(self, rng: random.Random) -> ToolResult:
        tool = rng.choices(("Read", "Bash", "Grep", "Edit"), weights=(45, 30, 10, 15))[0]
        body = _source_file(rng, self._size(rng))
        path = js(f"/src/app/{rng.choice(WORDS)}/{rng.choice(WORDS)}.py")
        if tool == "Read":
            content = js(_numbered(body))
            lines = body.count("\n") + 1
            extra = (f'{{"type":"text","file":{{"filePath":{path},"content":{js(body)},'
                     f'"numLines":{lines},"startLine":1,"totalLines":{lines}}}}}')
        elif tool == "Bash":
            content = js(body)
            extra = f'{{"stdout":{content},"stderr":"","interrupted":false,"isImage":false}}'
        elif tool == "Grep":
            content = js("\n".join(f"src/{w}.py" for w in body.split()[:200:3]))
            extra = f'{{"mode":"files_with_matches","filenames":[],"numFiles":{content.count("/")}}}'
        else:
            content = js(f"The file {path[1:-1]} has been updated successfully.")
            extra = (f'{{"filePath":{path},"oldString":"","newString":"","originalFile":{js(body)},'
                     f'"structuredPatch":[],"userModified":false,"replaceAll":false}}')
        if not self.shape.echo_tool_result:
            extra = '{"stdout":"","stderr":"","interrupted":false,"isImage":false}'
        return ToolResult(tool, content, extra, tokens=max(30, len(body) // 4))

    @staticmethod
    def _call(rng: random.Random, tool: str) -> ToolCall:
        path = f"/src/app/{rng.choice(WORDS)}/{rng.choice(WORDS)}.py"
        if tool == "Read":
            data = {"file_path": path}
        elif tool == "Bash":
            data = {"command": f"pytest tests/{rng.choice(WORDS)} -q", "description": _sentence(rng, 4)}
        elif tool == "Grep":
            data = {"pattern": f"def {rng.choice(WORDS)}_", "path": "/src/app", "output_mode": "files_with_matches"}
        else:
            old = _sentence(rng, rng.randint(4, 30))
            data = {"file_path": path, "old_string": old, "new_string": old + " " + _sentence(rng, 6)}
        return ToolCall(tool, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
