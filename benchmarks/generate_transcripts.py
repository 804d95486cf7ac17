"""Write a benchmark tree of realistic Claude Code transcripts.

    python benchmarks/generate_transcripts.py --out /tmp/corpus --size 1GB --seed 1

Prints files, bytes and distinct requests, and saves them as ``<out>/corpus-stats.json``
(not a .jsonl, so imports ignore it) for import_transcripts.py to check an import against.
"""
from __future__ import annotations

import argparse
from dataclasses import asdict
import json
from pathlib import Path
import re
import sys
import time

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from costdash.demo.corpus import CorpusStats, write_corpus  # noqa: E402

UNITS = {"": 1, "B": 1, "K": 10**3, "KB": 10**3, "M": 10**6, "MB": 10**6, "G": 10**9, "GB": 10**9}
STATS_FILE = "corpus-stats.json"


def parse_size(text: str) -> int:
    """``1GB``, ``500MB``, ``1.5G`` or a byte count (decimal units: 1 GB = 10^9 bytes)."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMG]?B?)\s*", text.upper())
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 1GB or 200MB)")
    return int(float(match[1]) * UNITS[match[2]])


def generate(out: Path, size: int, seed: int) -> tuple[CorpusStats, float]:
    """Write the corpus and its stats file; returns the stats and the seconds it took."""
    started = time.perf_counter()
    stats = write_corpus(out, target_bytes=size, seed=seed)
    seconds = time.perf_counter() - started
    (out / STATS_FILE).write_text(json.dumps({**asdict(stats), "seed": seed}, indent=2))
    return stats, seconds


def load_stats(tree: Path) -> CorpusStats | None:
    path = tree / STATS_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    data.pop("seed", None)
    return CorpusStats(**data)


def describe(stats: CorpusStats, seconds: float) -> str:
    return (f"{stats.files:,} files, {stats.bytes / 1e6:,.1f} MB, {stats.distinct_requests:,} distinct requests "
            f"({stats.usage_lines:,} usage lines), written in {seconds:.1f} s "
            f"({stats.bytes / 1e6 / seconds:,.0f} MB/s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="Folder to write (its projects/ tree)")
    parser.add_argument("--size", type=parse_size, default=parse_size("1GB"), help="Bytes to write, e.g. 1GB")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if (args.out / "projects").exists():
        parser.error(f"{args.out}/projects already exists: choose an empty folder")
    stats, seconds = generate(args.out, args.size, args.seed)
    print(describe(stats, seconds))
    print(f"files={stats.files} bytes={stats.bytes} requests={stats.distinct_requests}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
