"""Memory benchmark: hostile bodies and files through the real code paths, peak RSS per case.

    python benchmarks/hostile_input.py                 # every case
    python benchmarks/hostile_input.py --case zip_newlines --case push_blank_bomb

Each case runs in a fresh Python process (so its ru_maxrss is that case's alone) against
DATABASE_URL (default postgres://postgres@127.0.0.1:5432/costdash_bench: created if missing and
migrated). HTTP bodies go through the Django test client to the real views (receivers, bodies,
parsers, live writes); files through usage_import, as an upload's worker runs it. The bound is
400 MB per process (issue 11); each case prints its answer, peak RSS and CPU seconds.
"""
from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import import_transcripts as common  # noqa: E402

BOUND_MB = 400
INFLATED = 50 * 1000 * 1000  # the 50 MB


def gzip_of(unit: bytes, size: int, head: bytes = b"", tail: bytes = b"") -> bytes:
    block = unit * (1024 * 1024 // len(unit))
    out = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [out.compress(head)] + [out.compress(block) for _ in range(size // len(block))]
    return b"".join([*parts, out.compress(tail), out.flush()])


def protobuf_flood(records: int) -> bytes:
    from google.protobuf.internal.encoder import _VarintBytes

    body = b"\x12\x00" * records
    scope = b"\x12" + _VarintBytes(len(body)) + body
    return b"\x0a" + _VarintBytes(len(scope)) + scope


# (endpoint, token kind, content type, body builder, gzip?) per HTTP case
HTTP_CASES = {
    "push_blank_bomb": ("/ingest/transcripts", "transcripts", "application/x-ndjson",
                        lambda: gzip_of(b"\n", INFLATED), True),
    "push_object_bomb": ("/ingest/transcripts", "transcripts", "application/x-ndjson",
                         lambda: gzip_of(b"{}\n", INFLATED), True),
    "litellm_object_bomb": ("/ingest/litellm", "litellm", "application/json",
                            lambda: gzip_of(b"{},", INFLATED, b"[", b"{}]"), True),
    "litellm_blank_bomb": ("/ingest/litellm", "litellm", "application/x-ndjson",
                           lambda: gzip_of(b"\n", INFLATED, b"", b"{}\n"), True),
    "otlp_logs_object_bomb": ("/v1/logs", "otlp", "application/json",
                              lambda: gzip_of(b"{},", INFLATED, b'{"resourceLogs":[', b"{}]}"), True),
    "otlp_logs_protobuf_flood": ("/v1/logs", "otlp", "application/x-protobuf",
                                 lambda: protobuf_flood(2_500_000), False),
    "push_bad_lines_5mb_plain": ("/ingest/transcripts", "transcripts", "application/x-ndjson",
                                 lambda: b"not json\n" * (5 * 1024 * 1024 // 9 - 1), False),
    "push_bad_lines_under_ratio": ("/ingest/transcripts", "transcripts", "application/x-ndjson",
                                   lambda: gzip.compress(b"".join(b"junk %d\n" % i for i in range(900_000))), True),
}
FILE_CASES = ("zip_512mb_line", "zip_512mb_line_no_ratio_cap", "zip_newlines", "zip_newlines_no_ratio_cap",
              "line_200mb")


def child(case: str) -> dict:
    """One case; ``cpu_s`` is the CPU of the request or import alone (not of building its input)."""
    common._django()
    result = http_case(case) if case in HTTP_CASES else file_case(case)
    return {**result, "peak_mb": round(common._peak_mb())}


def http_case(case: str) -> dict:
    from django.test import Client

    from costdash.accounts.models import Developer
    from costdash.ingest.live import ingest_token_create

    url, kind, content_type, build, gzipped = HTTP_CASES[case]
    developer, _ = Developer.objects.get_or_create(email="hostile@example.com", defaults={"name": "Hostile"})
    secret = ingest_token_create(name="bench", kind=kind, developer=developer if kind == "transcripts" else None)[1]
    body = build()
    headers = {"Authorization": f"Bearer {secret}", **({"Content-Encoding": "gzip"} if gzipped else {})}
    started = time.process_time()
    response = Client(raise_request_exception=False).post(url, data=body, content_type=content_type, headers=headers)
    return {"sent_kb": len(body) // 1024, "status": response.status_code, "answer": response.content[:160].decode(),
            "cpu_s": round(time.process_time() - started, 1)}


def file_case(case: str) -> dict:
    from django.conf import settings

    from costdash.ingest.services import usage_import

    if case.endswith("_no_ratio_cap"):  # what the parsers do once past the archive caps
        settings.COSTDASH_ARCHIVE_MAX_RATIO = 10**9
    with tempfile.TemporaryDirectory() as folder:
        path = build_file(case.removesuffix("_no_ratio_cap"), Path(folder))
        started = time.process_time()
        batch = usage_import([path], developer_email="hostile@example.com")
        answer = f"{path.stat().st_size // 1024:,} KB; rejected {batch.rejected:,}, ignored {batch.files_ignored}: "
        return {"status": batch.status, "answer": answer + (batch.failure or json.dumps(batch.errors[:1]))[:200],
                "cpu_s": round(time.process_time() - started, 1)}


def build_file(case: str, folder: Path) -> Path:
    if case == "line_200mb":
        path = folder / "long.jsonl"
        with path.open("wb") as out:
            out.write(b'{"type":"assistant","message":{"usage":{},"content":"')
            for _ in range(200):
                out.write(b"x" * (1024 * 1024))
            out.write(b'"}}\n')
        return path
    path = folder / f"{case}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("x.jsonl", "w") as out:
        if case == "zip_512mb_line":
            out.write(b'{"type":"assistant","message":{"usage":{},"content":"')
            for _ in range(512):
                out.write(b"x" * (1024 * 1024))
            out.write(b'"}}\n')
        else:  # zip_newlines
            for _ in range(20):
                out.write(b"\n" * (1024 * 1024))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", action="append", choices=[*HTTP_CASES, *FILE_CASES])
    parser.add_argument("--database-url", default=common.os.environ.get("DATABASE_URL", common.DEFAULT_DATABASE_URL))
    args = parser.parse_args(argv)
    common.database_ensure(args.database_url)
    run(["migrate"], args.database_url)
    worst = 0
    for case in args.case or [*HTTP_CASES, *FILE_CASES]:
        run(["flush"], args.database_url)  # files already imported would be skipped as unchanged
        out = run(["case", case], args.database_url)
        worst = max(worst, out["peak_mb"])
        mark = "ok" if out["peak_mb"] <= BOUND_MB else "OVER"
        print(f"{case:28} peak {out['peak_mb']:4} MB  cpu {out['cpu_s']:5} s  [{mark}]  "
              f"{out.get('status')}  {out.get('answer', '')[:150]}", flush=True)
    print(f"worst peak {worst} MB against the {BOUND_MB} MB bound: {'ok' if worst <= BOUND_MB else 'OVER'}")
    return 0 if worst <= BOUND_MB else 1


def run(action: list[str], database_url: str) -> dict:
    env = {**common.child_env(database_url), "DJANGO_ALLOWED_HOSTS": "testserver"}
    proc = subprocess.run([sys.executable, __file__, "_child", *action], env=env, cwd=ROOT, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
        raise SystemExit(f"{' '.join(action)} failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    if sys.argv[1:2] == ["_child"]:
        if sys.argv[2] in ("migrate", "flush"):
            print(json.dumps(common.child_migrate() if sys.argv[2] == "migrate" else common.child_flush()))
        else:
            print(json.dumps(child(sys.argv[3])))
    else:
        sys.exit(main())
