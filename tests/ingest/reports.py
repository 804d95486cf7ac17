"""Helpers for the daily-report parser tests: run a parser on bytes, build pages and CSV files."""
import csv
import io
import json
from pathlib import Path

from costdash.ingest.parsers.base import ParseStats, Rejected
from tests.conftest import SAMPLES

ADMIN_API = SAMPLES / "admin-api"


def sample(name: str) -> dict:
    return json.loads((ADMIN_API / name).read_text())


def run(module, data: bytes | str, name: str = "report.json"):
    """(records, rejected, stats) of one parser over ``data``."""
    stats = ParseStats()
    data = data.encode() if isinstance(data, str) else data
    items = list(module.parse(io.BytesIO(data), name, stats))
    return [i for i in items if not isinstance(i, Rejected)], [i for i in items if isinstance(i, Rejected)], stats


def page(*buckets: dict, has_more: bool = False) -> dict:
    return {"data": list(buckets), "has_more": has_more, "next_page": "page_x" if has_more else None}


def bucket(start: str, end: str, *results: dict) -> dict:
    return {"starting_at": start, "ending_at": end, "results": list(results)}


def csv_text(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write(path: Path, content: bytes | str | dict | list) -> Path:
    """Write a fixture file: bytes or text as they are, anything else as JSON."""
    if isinstance(content, dict | list):
        content = json.dumps(content)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def reasons(rejected: list[Rejected]) -> list[str]:
    return [r.reason for r in rejected]
