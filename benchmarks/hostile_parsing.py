"""Peak memory and CPU of the parsers on hostile files: a very long line, floods of empty records
and of blank lines. Parser level only (no database): each case's file is written to a temporary
directory first, then parsed in a fresh child process, so the peak RSS printed is that parse's
alone (plus the interpreter and the parser modules, shown by the "baseline" row).

    python benchmarks/hostile_parsing.py              # every case
    python benchmarks/hostile_parsing.py --case blank-transcript --case line-512mb

Each row: case, file size, peak RSS, CPU seconds, and what came out (requests, rejections as
held, rejected lines counted). The bound to hold is 400 MB RSS (issue 11); HTTP bodies and
archives are measured by benchmarks/hostile_input.py.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
import os
from pathlib import Path
import resource
import subprocess
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MB = 1024 * 1024
BOUND_MB = 400


def _repeat(path: Path, head: bytes, unit: bytes, total: int, tail: bytes) -> None:
    """``head``, then ``unit`` repeated to about ``total`` bytes (written a MB at a time), then ``tail``."""
    block = unit * max(1, MB // len(unit))
    with open(path, "wb") as fh:
        fh.write(head)
        written = 0
        while written < total:
            fh.write(block)
            written += len(block)
        fh.write(tail)


GOOD = (b'{"type":"assistant","timestamp":"2026-03-02T10:00:00Z","message":{"id":"msg_%d","model":'
        b'"claude-sonnet-4-6","usage":{"input_tokens":4,"output_tokens":100}}}\n')

# The first element, so the file is read as LiteLLM payloads.
LITELLM_ROW = b'{"startTime": 1, "response_cost": 0}'

# name -> (file name, parser module, writer(path))
CASES: dict[str, tuple[str, str, Callable[[Path], None]]] = {
    "baseline": ("empty.jsonl", "claude_code_jsonl", lambda p: p.write_bytes(GOOD % 1)),
    "line-512mb": ("long.jsonl", "claude_code_jsonl",
                   lambda p: _repeat(p, GOOD % 1 + b'{"type":"user","x":"', b"x", 512 * MB, b'"}\n' + GOOD % 2)),
    "blank-transcript-21m": ("blank.jsonl", "claude_code_jsonl",
                             lambda p: _repeat(p, GOOD % 1, b"\n", 21_000_000, GOOD % 2)),
    "empty-objects-transcript-50mb": ("objects.jsonl", "claude_code_jsonl",
                                      lambda p: _repeat(p, GOOD % 1, b"{}\n", 50 * MB, GOOD % 2)),
    "empty-records-array-50mb": ("payloads.json", "litellm_payload",
                                 lambda p: _repeat(p, b'[' + LITELLM_ROW + b',', b"{},", 50 * MB, b"{}]")),
    "empty-records-ndjson-50mb": ("payloads.ndjson", "litellm_payload",
                                  lambda p: _repeat(p, LITELLM_ROW + b'\n', b"{}\n", 50 * MB, b"")),
    "blank-ndjson-21m": ("payloads.ndjson", "litellm_payload",
                         lambda p: _repeat(p, LITELLM_ROW + b'\n', b"\n", 21_000_000, b"{}\n")),
    "empty-results-page-50mb": ("usage.json", "anthropic_usage",
                                lambda p: _repeat(p, b'{"data": [', b"{},", 50 * MB, b"{}]}")),
    "blank-otlp-21m": ("logs.json", "otel_logs",
                       lambda p: _repeat(p, b'{"resourceLogs": []}\n', b"\n", 21_000_000, b'{"resourceLogs": []}\n')),
    "empty-bodies-otlp-50mb": ("logs.json", "otel_logs",
                               lambda p: _repeat(p, b'{"resourceLogs": []}\n', b"{}\n", 50 * MB, b"")),
}


def child(case: str, path: str) -> None:
    """Parse one file; print its counts, peak RSS and CPU."""
    import importlib

    from costdash.ingest.parsers.base import ParseStats, Rejected

    parser = importlib.import_module(f"costdash.ingest.parsers.{CASES[case][1]}")
    stats, requests, held, rejected = ParseStats(), 0, 0, 0
    started = time.process_time()
    with open(path, "rb") as stream:
        for item in parser.parse(stream, os.path.basename(path), stats):
            if isinstance(item, Rejected):
                held += 1
                rejected += item.count
            else:
                requests += 1
    cpu = time.process_time() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{peak:.0f} {cpu:.2f} {requests} {held} {rejected}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", action="append", choices=list(CASES), help="only these cases")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"{'case':32} {'file':>9} {'peak RSS':>9} {'CPU s':>6} {'requests':>8} {'held':>5} {'rejected':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.case or list(CASES):
            name, _, write = CASES[case]
            path = Path(tmp) / name
            write(path)
            out = subprocess.run([sys.executable, __file__, "--child", case, str(path)], capture_output=True,
                                 text=True, cwd=ROOT)
            if out.returncode:
                print(f"{case:32} failed: {out.stderr.strip().splitlines()[-1:]}")
                continue
            peak, cpu, requests, held, rejected = out.stdout.split()
            flag = "" if float(peak) <= BOUND_MB else f"  OVER {BOUND_MB} MB"
            print(f"{case:32} {path.stat().st_size / MB:7.0f}MB {float(peak):7.0f}MB {float(cpu):6.2f} "
                  f"{int(requests):8,} {int(held):5,} {int(rejected):11,}{flag}")
            path.unlink()


if __name__ == "__main__":
    main()
