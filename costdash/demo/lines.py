"""Line templates of Claude Code 2.1.x transcripts, filled by string formatting (no json.dumps per line).

Key order and field names follow real 2.1.39 files (shared/samples/spotter). Every ``%s`` that takes
text is given an already-escaped JSON literal; ids and timestamps never need escaping.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import random
import time

from .payloads import js

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

USAGE = (
    '{"input_tokens":%d,"cache_creation_input_tokens":%d,"cache_read_input_tokens":%d,'
    '"cache_creation":{"ephemeral_5m_input_tokens":%d,"ephemeral_1h_input_tokens":%d},'
    '"output_tokens":%d,"service_tier":"standard","inference_geo":"%s",'
    '"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"speed":"standard"}'
)
# The message object without its closing brace: the subagent line closes it, the echo adds a key.
MESSAGE = ('{"model":"%s","id":"%s","type":"message","role":"assistant","content":[%s],'
           '"stop_reason":null,"stop_sequence":null,"usage":%s')
ASSISTANT = '"message":%s,"requestId":"%s","type":"assistant","uuid":"%s","timestamp":"%s"}'
THINKING = '{"type":"thinking","thinking":%s,"signature":"%s"}'
TEXT = '{"type":"text","text":%s}'
TOOL_USE = '{"type":"tool_use","id":"%s","name":"%s","input":%s,"caller":{"type":"direct"}}'
SYNTHETIC = (
    '"type":"assistant","uuid":"%s","timestamp":"%s","message":{"id":"%s","container":null,'
    '"model":"<synthetic>","role":"assistant","stop_reason":"stop_sequence","stop_sequence":"",'
    '"type":"message","usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,'
    '"cache_read_input_tokens":0,"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},'
    '"service_tier":null,"cache_creation":{"ephemeral_1h_input_tokens":0,"ephemeral_5m_input_tokens":0}},'
    '"content":[{"type":"text","text":"API Error: Request was aborted."}],"context_management":null},'
    '"isApiErrorMessage":true}'
)
PROMPT = ('"type":"user","message":{"role":"user","content":%s},"uuid":"%s","timestamp":"%s",'
          '"thinkingMetadata":{"maxThinkingTokens":31999},"todos":[],"permissionMode":"default"}')
# A slash command as Claude Code 2.1.x records it (the command, then what it printed).
COMMAND = ('"type":"user","message":{"role":"user","content":"<command-name>%s</command-name>\\n'
           '            <command-message>%s</command-message>\\n            <command-args>%s</command-args>"},'
           '"uuid":"%s","timestamp":"%s"}')
COMMAND_OUTPUT = ('"type":"user","message":{"role":"user","content":"<local-command-stdout>%s</local-command-stdout>"},'
                  '"uuid":"%s","timestamp":"%s"}')
COMPACT_SUMMARY = ('"type":"user","message":{"role":"user","content":%s},"isVisibleInTranscriptOnly":true,'
                   '"isCompactSummary":true,"uuid":"%s","timestamp":"%s"}')
TOOL_RESULT = ('"type":"user","message":{"role":"user","content":[{"tool_use_id":"%s","type":"tool_result",'
               '"content":%s}]},"uuid":"%s","timestamp":"%s","toolUseResult":%s,"sourceToolAssistantUUID":"%s"}')
HOOK = ('"type":"progress","data":{"type":"hook_progress","hookEvent":"%s","hookName":"%s","command":%s},'
        '"parentToolUseID":"%s","toolUseID":"%s","timestamp":"%s","uuid":"%s"}')
BASH_PROGRESS = ('"type":"progress","data":{"type":"bash_progress","output":"running\\u2026","fullOutput":%s,'
                 '"elapsedTimeSeconds":%d,"totalLines":%d},"toolUseID":"bash-progress-%d",'
                 '"parentToolUseID":"%s","uuid":"%s","timestamp":"%s"}')
AGENT_ASSISTANT = (
    '"type":"progress","data":{"message":{"type":"assistant","timestamp":"%s","message":%s,'
    '"context_management":null},"requestId":"%s","uuid":"%s"},"normalizedMessages":[],"type":"agent_progress",'
    '"prompt":%s,"agentId":"%s"},"toolUseID":"agent_%s","parentToolUseID":"%s","uuid":"%s","timestamp":"%s"}'
)
AGENT_USER = (
    '"type":"progress","data":{"message":{"type":"user","message":{"role":"user","content":[{"type":"text",'
    '"text":%s}]},"uuid":"%s","timestamp":"%s"},"normalizedMessages":[],"type":"agent_progress",'
    '"prompt":%s,"agentId":"%s"},"toolUseID":"agent_%s","parentToolUseID":"%s","uuid":"%s","timestamp":"%s"}'
)
STOP_HOOKS = ('"type":"system","subtype":"stop_hook_summary","hookCount":1,"hookInfos":[{"command":%s}],'
              '"hookErrors":[],"preventedContinuation":false,"stopReason":"","hasOutput":false,'
              '"level":"suggestion","timestamp":"%s","uuid":"%s","toolUseID":"%s"}')
TURN_DURATION = '"type":"system","subtype":"turn_duration","durationMs":%d,"timestamp":"%s","uuid":"%s","isMeta":false}'
COMPACT_BOUNDARY = ('"type":"system","subtype":"compact_boundary","content":"Conversation compacted",'
                    '"isMeta":false,"timestamp":"%s","uuid":"%s","level":"info",'
                    '"compactMetadata":{"trigger":"auto","preTokens":%d}}')
SNAPSHOT = ('{"type":"file-history-snapshot","messageId":"%s","snapshot":{"messageId":"%s",'
            '"trackedFileBackups":{%s},"timestamp":"%s"},"isSnapshotUpdate":false}')
BACKUP = '"%s":{"backupFileName":"%s@v%d","version":%d,"backupTime":"%s"}'
SUMMARY = '{"type":"summary","summary":%s,"leafUuid":"%s"}'
QUEUE = '{"type":"queue-operation","operation":"enqueue","timestamp":"%s","sessionId":"%s","content":%s}'


def iso(ms: int) -> str:
    """ISO-8601 UTC with milliseconds and a Z, as Claude Code writes timestamps."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def new_uuid(rng: random.Random) -> str:
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def new_id(rng: random.Random, prefix: str, length: int) -> str:
    """``msg_01…``, ``req_011C…`` and ``toolu_01…`` style ids."""
    return prefix + "".join(rng.choices(B58, k=length))


def signature(rng: random.Random, size: tuple[int, int]) -> str:
    return "".join(rng.choices(B64, k=rng.randint(*size)))


class Sink:
    """One .jsonl file being written: buffered, counted in characters as it grows."""

    FLUSH_AT = 1 << 20

    def __init__(self, path: Path):
        self.path = path
        self.chars = 0
        self.bytes = 0
        self._buffer: list[str] = []
        self._buffered = 0
        self._fh = None

    def add(self, line: str) -> None:
        self._buffer.append(line)
        size = len(line) + 1
        self.chars += size
        self._buffered += size
        if self._buffered >= self.FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "wb")
        data = ("\n".join(self._buffer) + "\n").encode()
        self._fh.write(data)
        self.bytes += len(data)
        self._buffer, self._buffered = [], 0

    def close(self) -> None:
        self.flush()
        if self._fh is not None:
            self._fh.close()
            self._fh = None


@dataclass(frozen=True)
class Head:
    """The fields every conversation line starts with, pre-rendered after ``parentUuid``."""

    rest: str

    @classmethod
    def build(cls, *, cwd: str, session_id: str, version: str, branch: str, slug: str,
              agent_id: str | None) -> "Head":
        sidechain = "true" if agent_id else "false"
        agent = f'"agentId":"{agent_id}",' if agent_id else ""
        return cls(f',"isSidechain":{sidechain},"userType":"external","cwd":{js(cwd)},"sessionId":"{session_id}",'
                   f'"version":"{version}","gitBranch":{js(branch)},{agent}"slug":"{slug}",')

    def line(self, parent: str | None, body: str) -> str:
        return '{"parentUuid":' + (f'"{parent}"' if parent else "null") + self.rest + body
