"""Benchmark the LiteLLM SpendLogs CSV import against PostgreSQL: speed, peak memory, correctness, re-import.

    python benchmarks/import_litellm.py                      # 500,000 rows, generated into a temporary file
    python benchmarks/import_litellm.py --rows 100000 --out /tmp/spendlogs.csv    # keeps the CSV
    python benchmarks/import_litellm.py --csv /tmp/spendlogs.csv    # measure an existing file
    python benchmarks/import_litellm.py --rows 100000 --profile     # also cProfile the first import

The CSV is what ``\\copy (SELECT * FROM "LiteLLM_SpendLogs") TO … CSV HEADER`` gives for Claude Code
traffic through a LiteLLM >= 1.78 proxy: 50 developers (each row's ``user`` is their email), Sonnet
4.5 / Opus 4.6 / Haiku 4.5, cache reads and writes with the 5m/1h split in ``metadata.usage_object``,
unique ``msg_…`` request ids, spread over 30 days. Each row's metadata is the real 1.109.1 sample
row's (shared/samples/litellm), about 3.9 KB of JSON, with the identity, tokens and costs changed.

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/costdash_bench) is created if missing and
migrated; its usage tables are emptied first. Each import runs in a fresh child process
(``usage_import([csv])``), so its peak RSS is that import's alone; rollups stay queued.
"""
from __future__ import annotations

import argparse
import copy
import csv
from datetime import datetime, timedelta, timezone
import hashlib
import json
import os
from pathlib import Path
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import import_transcripts as common  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "samples" / "litellm" / "litellm_spendlog_example_trimmed.json"
TARGET_ROWS_S = 30_000  # issue 16 (50,000 before it)
USERS = 50
DAYS = 30
END = datetime(2026, 11, 21, tzinfo=timezone.utc)
# model, share of requests, $/MTok input, output (LiteLLM's list prices; writes 1.25x/2x, reads 0.1x)
MODELS = (("claude-sonnet-4-5", 0.60, 3.0, 15.0), ("claude-opus-4-6", 0.25, 5.0, 25.0),
          ("claude-haiku-4-5", 0.15, 1.0, 5.0))
COLUMNS = (
    "request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens", "completion_tokens",
    "startTime", "endTime", "completionStartTime", "model", "model_id", "model_group", "custom_llm_provider",
    "api_base", "user", "metadata", "cache_hit", "cache_key", "request_tags", "team_id", "organization_id",
    "end_user", "requester_ip_address", "messages", "response", "session_id", "status",
    "mcp_namespaced_tool_name", "proxy_server_request", "request_duration_ms", "agent_id", "billing_agent_id",
    "litellm_call_id",
)
LEAN_KEYS = {"usage_object", "additional_usage_values", "user_api_key", "user_api_key_alias", "user_api_key_team_id",
             "user_api_key_team_alias", "user_api_key_user_id", "user_api_key_user_email", "requester_ip_address",
             "litellm_call_id"}
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


# ---- the CSV ----

def _people(rng: random.Random) -> list[dict]:
    teams = ("platform", "payments", "mobile", "data", "infra")
    people = []
    for i in range(USERS):
        email = f"dev{i + 1:02d}@example.com"
        team = teams[i % len(teams)]
        people.append({"email": email, "team": team, "team_id": f"team-{team}-uuid",
                       "key": hashlib.sha256(email.encode()).hexdigest(), "alias": f"dev{i + 1:02d}-claude-code",
                       "ip": f"10.0.{i // 20}.{i % 200 + 10}", "one_hour": rng.random() < 0.7,
                       "weight": rng.lognormvariate(0, 0.6)})  # some developers use it far more
    return people


def _tokens(rng: random.Random, model: str) -> tuple[int, int, int, int]:
    """(uncached input, cache reads, cache writes, output) shaped like Claude Code's requests."""
    if model == "claude-haiku-4-5" and rng.random() < 0.5:  # titles, quota checks, summaries: no cache
        return rng.randint(80, 3000), 0, 0, rng.randint(5, 120)
    if rng.random() < 0.04:  # a session's first turn, or after a compaction: everything written
        return rng.randint(1, 20), 0, min(int(rng.lognormvariate(9.8, 0.4)), 90_000), int(rng.lognormvariate(5.5, 1))
    uncached = rng.randint(1, 12) if rng.random() < 0.93 else rng.randint(100, 6000)
    reads = min(int(rng.lognormvariate(10.7, 0.6)), 190_000)  # median ~45k
    writes = min(int(rng.lognormvariate(7.3, 1.0)), 60_000)  # median ~1.5k
    return uncached, reads, writes, max(1, min(int(rng.lognormvariate(5.9, 1.1)), 32_000))


def _row(rng: random.Random, metadata: dict, person: dict, model: str, rates: tuple, ts: datetime) -> list:
    uncached, reads, writes, output = _tokens(rng, model)
    one_hour = writes if person["one_hour"] and rng.random() < 0.95 else 0
    five_min = writes - one_hour
    inp, out = rates
    input_cost = (uncached * inp + reads * inp * 0.1 + five_min * inp * 1.25 + one_hour * inp * 2) / 1e6
    output_cost = output * out / 1e6
    prompt = uncached + reads + writes  # LiteLLM >= 1.78 counts reads and writes in prompt_tokens
    details = {"audio_tokens": None, "cache_write_tokens": writes, "cached_tokens": reads, "image_tokens": None,
               "text_tokens": uncached, "video_tokens": None, "initial_prompt_tokens": None,
               "cache_creation_tokens": writes,
               "cache_creation_token_details": {"ephemeral_5m_input_tokens": five_min,
                                                "ephemeral_30m_input_tokens": None,
                                                "ephemeral_1h_input_tokens": one_hour,
                                                "ephemeral_12h_input_tokens": None}}
    for usage in (metadata["usage_object"], metadata["additional_usage_values"]):
        usage.update(prompt_tokens_details=details, cache_creation_input_tokens=writes, cache_read_input_tokens=reads)
        usage["completion_tokens_details"]["text_tokens"] = output
    metadata["usage_object"].update(completion_tokens=output, prompt_tokens=prompt, total_tokens=prompt + output)
    spend = round(input_cost + output_cost, 9)
    metadata.get("cost_breakdown", {}).update(total_cost=spend, original_cost=spend, input_cost=input_cost,
                                      output_cost=output_cost, cache_read_cost=reads * inp * 0.1 / 1e6,
                                      cache_creation_cost=(five_min * 1.25 + one_hour * 2) * inp / 1e6)
    call_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    metadata.update(user_api_key=person["key"], user_api_key_alias=person["alias"],
                    user_api_key_team_id=person["team_id"], user_api_key_team_alias=person["team"],
                    user_api_key_user_id=person["email"], user_api_key_user_email=person["email"],
                    requester_ip_address=person["ip"], litellm_call_id=call_id)
    if "model_map_information" in metadata:
        metadata["model_map_information"]["model_map_key"] = model
    duration = rng.randint(400, 40_000)
    end = ts + timedelta(milliseconds=duration)
    stamp = "%Y-%m-%d %H:%M:%S.%f"  # timestamp(3) without time zone, as PostgreSQL writes it
    return [
        "msg_01" + "".join(rng.choices(BASE62, k=22)), "anthropic_messages", person["key"], repr(spend),
        prompt + output, prompt, output, ts.strftime(stamp)[:-3], end.strftime(stamp)[:-3],
        (ts + timedelta(milliseconds=duration // 3)).strftime(stamp)[:-3], model, f"deployment-{model}-1", model,
        "anthropic", "https://api.anthropic.com", person["email"], orjson.dumps(metadata).decode(),
        "None", "Cache OFF", '["claude-code"]', person["team_id"], "", "", person["ip"], "{}", "{}",
        person["session"], "success", "", "{}", duration, "", "", call_id,
    ]


def generate(path: Path, rows: int, seed: int, lean: bool = False) -> dict:
    """Write ``rows`` SpendLogs rows in time order (a table dump's order) to ``path``; ``lean``:
    metadata trimmed to the identity and usage keys (``spend_logs_metadata_fields``)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    metadata = copy.deepcopy(json.loads(SAMPLE.read_text())["metadata"])
    metadata["model_map_information"]["model_map_value"].pop("...", None)
    if lean:
        metadata = {k: v for k, v in metadata.items() if k in LEAN_KEYS}
    people = _people(rng)
    weights = [p["weight"] for p in people]
    model_weights = [m[1] for m in MODELS]
    span = DAYS * 86_400 / rows
    start = END - timedelta(days=DAYS)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for i in range(rows):
            person = rng.choices(people, weights)[0]
            if "session" not in person or rng.random() < 0.01:  # ~100 requests per session
                person["session"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            model, _, inp, outp = rng.choices(MODELS, model_weights)[0]
            ts = start + timedelta(seconds=(i + rng.random()) * span)
            writer.writerow(_row(rng, metadata, person, model, (inp, outp), ts))
    return {"rows": rows, "bytes": path.stat().st_size, "seconds": time.perf_counter() - started}


# ---- the children ----

def run_child(action: str, database_url: str, *args: str, show_output: bool = False) -> dict:
    """Run ``action`` in a fresh Python process and return the JSON it prints last."""
    proc = subprocess.run([sys.executable, __file__, "_child", action, *args], env=common.child_env(database_url),
                          cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"{action} failed (exit {proc.returncode})")
    lines = proc.stdout.strip().splitlines()
    if show_output:
        print("\n".join(lines[:-1]))
    return json.loads(lines[-1])


def _backend_cpu() -> tuple[int, float]:
    """(pid, CPU seconds so far) of this process's PostgreSQL backend (same host: /proc)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return pid, float("nan")
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _cpu(who) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def child_import(path: str, profile: str = "") -> dict:
    common._django()
    from costdash.ingest import parallel
    from costdash.ingest.models import UsageEvent
    from costdash.ingest.services import usage_import

    baseline = common._peak_mb()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    pid, backend_before = _backend_cpu()
    own_before = _cpu(resource.RUSAGE_SELF)
    started = time.perf_counter()
    batch = usage_import([Path(path)])
    seconds = time.perf_counter() - started
    own = _cpu(resource.RUSAGE_SELF) - own_before
    pid_after, backend_after = _backend_cpu()
    if profiler:
        import pstats

        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(35)
    # Parse workers are this process's children, reaped by now: the largest of them bounds each.
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    workers = parallel.worker_count() if worker_mb else 0
    return {"seconds": seconds, "peak_mb": common._peak_mb() + workers * worker_mb, "main_mb": common._peak_mb(),
            "workers": workers, "worker_mb": worker_mb, "baseline_mb": baseline, "status": batch.status,
            "failure": batch.failure, "bytes": batch.total_bytes, "lines": batch.lines,
            "requests_new": batch.requests_new, "duplicates": batch.duplicates, "rejected": batch.rejected,
            "errors": batch.errors[:3], "files_unchanged": batch.files_unchanged,
            "cpu_main": own, "cpu_workers": _cpu(resource.RUSAGE_CHILDREN),
            "cpu_backend": backend_after - backend_before if pid == pid_after else float("nan"),
            "events": UsageEvent.objects.filter(source="litellm_spendlogs").count()}


CHILDREN = {"migrate": common.child_migrate, "flush": common.child_flush, "import": child_import}


# ---- the report ----

def measure(path: Path, database_url: str, expected: int, profile: bool, reimport: bool = True) -> bool:
    common.database_ensure(database_url)
    run_child("migrate", database_url)
    run_child("flush", database_url)
    print(f"machine:       {os.cpu_count()} cores, load average before {os.getloadavg()[0]:.2f}")
    first = run_child("import", database_url, str(path), "profile" if profile else "", show_output=profile)
    mb, secs = first["bytes"] / 1e6, first["seconds"]
    rate = first["lines"] / secs
    print(f"first import:  {first['lines']:,} rows, {mb:,.1f} MB in {secs:.1f} s = {rate:,.0f} rows/s "
          f"(target >= {TARGET_ROWS_S:,}: {common.mark(rate >= TARGET_ROWS_S)}), {mb / secs:,.1f} MB/s, "
          f"status {first['status']} {first['failure']}" + (" (under cProfile: slower)" if profile else ""))
    workers = (f" = importing process {first['main_mb']:,.0f} MB + {first['workers']} parse workers x "
               f"{first['worker_mb']:,.0f} MB" if first["workers"] else "")
    print(f"peak RSS:      {first['peak_mb']:,.0f} MB{workers} (process baseline {first['baseline_mb']:,.0f} MB)")
    cpu = first["cpu_main"] + first["cpu_workers"] + first["cpu_backend"]
    print(f"CPU:           {cpu:.1f} s = importing process {first['cpu_main']:.1f} + parse workers "
          f"{first['cpu_workers']:.1f} + PostgreSQL backend {first['cpu_backend']:.1f}; "
          f"{cpu / first['lines'] * 1e6:.0f} µs a row; {cpu / secs:.2f} cores busy; "
          f"load average now {os.getloadavg()[0]:.2f}")
    # The wall rate depends on what else the machine runs; the CPU a row does not (much).
    budget = (os.cpu_count() or 1) / TARGET_ROWS_S * 1e6
    print(f"CPU budget:    {TARGET_ROWS_S:,} rows/s on {os.cpu_count()} cores allows {budget:.0f} µs a row in all: "
          f"{common.mark(cpu / first['lines'] * 1e6 <= budget)}")
    ok = first["events"] == expected and first["rejected"] == 0
    print(f"correctness:   {first['events']:,} events in the DB vs {expected:,} rows written: "
          f"{'ok' if ok else 'WRONG'} (rejected rows: {first['rejected']} {first['errors'] or ''})")
    if not reimport:
        return ok
    again = run_child("import", database_url, str(path))
    print(f"re-import:     same file {again['seconds']:.2f} s = {again['seconds'] / secs:.3f} of the first "
          f"({again['files_unchanged']} file unchanged, {again['requests_new']} new)")
    size = path.stat().st_size
    with path.open("a") as out:  # a blank line: a new fingerprint, the same rows (a re-export)
        out.write("\r\n")
    try:
        third = run_child("import", database_url, str(path))
    finally:
        os.truncate(path, size)
    print(f"               the same rows in a changed file {third['seconds']:.1f} s = "
          f"{third['lines'] / third['seconds']:,.0f} rows/s; {third['requests_new']} new, "
          f"{third['duplicates']:,} duplicates, peak RSS {third['peak_mb']:,.0f} MB")
    for run in (again, third):
        if run["events"] != first["events"]:
            print(f"re-import changed the event count: {first['events']:,} -> {run['events']:,}: WRONG")
            ok = False
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000, help="Rows to generate (default 500,000)")
    parser.add_argument("--csv", type=Path, help="Measure an existing file from this script instead")
    parser.add_argument("--out", type=Path, help="Where to write the generated CSV (default: a temporary file)")
    parser.add_argument("--keep", action="store_true", help="Keep the generated temporary CSV")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lean", action="store_true", help="Generate rows with trimmed metadata (~2.6 KB a row)")
    parser.add_argument("--profile", action="store_true", help="cProfile the first import and print the top")
    parser.add_argument("--first-only", action="store_true", help="Measure the first import only (no re-imports)")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL") or common.DEFAULT_DATABASE_URL
    path, scratch, expected = args.csv, None, None
    if path is None and args.out is None:
        fd, name = tempfile.mkstemp(prefix="costdash-spendlogs-", suffix=".csv")
        os.close(fd)
        scratch = None if args.keep else Path(name)
    try:
        if path is None:
            path = args.out or Path(name)
            made = generate(path, args.rows, args.seed, args.lean)
            print(f"CSV:           {made['rows']:,} rows, {made['bytes'] / 1e6:,.1f} MB "
                  f"({made['bytes'] / made['rows']:,.0f} bytes a row) generated in {made['seconds']:.1f} s: {path}")
            expected = made["rows"]
        if expected is None:
            with path.open(newline="", encoding="utf-8") as f:
                expected = sum(1 for row in csv.reader(f) if row) - 1
        return 0 if measure(path, database_url, expected, args.profile, not args.first_only) else 1
    finally:
        if scratch:
            scratch.unlink(missing_ok=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["_child"]:
        print(json.dumps(CHILDREN[sys.argv[2]](*sys.argv[3:])))
        sys.exit(0)
    sys.exit(main())
