"""Helpers for transcript tests: write JSONL lines, and an independent oracle for totals."""
from collections import defaultdict
import json
from pathlib import Path


def assistant_line(
    *, msg="msg_1", req="req_1", ts="2026-03-02T10:00:00.000Z", model="claude-sonnet-4-6", session="s-1",
    input_tokens=4, output=100, write_5m=0, write_1h=0, read=1000, **extra_usage,
) -> dict:
    usage = {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": write_5m + write_1h,
        "cache_read_input_tokens": read,
        "cache_creation": {"ephemeral_5m_input_tokens": write_5m, "ephemeral_1h_input_tokens": write_1h},
        "output_tokens": output,
        "service_tier": "standard",
        **extra_usage,
    }
    return {
        "type": "assistant", "timestamp": ts, "sessionId": session, "requestId": req, "cwd": "/home/dev/app",
        "message": {"id": msg, "model": model, "type": "message", "role": "assistant",
                    "content": [{"type": "text", "text": "ok"}], "usage": usage},
    }


def write_jsonl(path: Path, lines: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        for line in lines:
            fh.write(line if isinstance(line, str) else json.dumps(line))
            fh.write("\n")
    return path


def oracle_totals(root: Path) -> dict:
    """Per UTC day: requests and token sums, by a deliberately plain re-implementation of the
    format's rules (json.loads on every line, keep the copy with the most output per message id)."""
    best = {}
    for path in sorted(root.rglob("*.jsonl")):
        for raw in path.read_text().splitlines():
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if obj.get("type") == "assistant":
                env = obj
            elif obj.get("type") == "progress" and (obj.get("data") or {}).get("type") == "agent_progress":
                env = obj["data"]["message"]
            else:
                continue
            msg = env.get("message") or {}
            usage = msg.get("usage")
            if not usage or msg.get("model") == "<synthetic>":
                continue
            key = msg.get("id") or env.get("requestId")
            if key not in best or usage["output_tokens"] > best[key][1]["output_tokens"]:
                best[key] = ((env.get("timestamp") or obj["timestamp"])[:10], usage)
    days = defaultdict(lambda: defaultdict(int))
    for day, usage in best.values():
        split = usage.get("cache_creation")
        totals = days[day]
        totals["requests"] += 1
        totals["input_tokens"] += usage.get("input_tokens", 0)
        totals["output_tokens"] += usage.get("output_tokens", 0)
        totals["cache_read_tokens"] += usage.get("cache_read_input_tokens", 0)
        if split is None:
            totals["cache_write_5m_tokens"] += usage.get("cache_creation_input_tokens", 0)
        else:
            totals["cache_write_5m_tokens"] += split.get("ephemeral_5m_input_tokens", 0)
            totals["cache_write_1h_tokens"] += split.get("ephemeral_1h_input_tokens", 0)
    return {day: dict(v) for day, v in days.items()}
