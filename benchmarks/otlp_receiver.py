"""Benchmark the OTLP/HTTP receiver (POST /v1/logs) under gunicorn: throughput, latency, correctness.

    python benchmarks/otlp_receiver.py                  # 6,000 requests or 60 s, whichever comes first
    python benchmarks/otlp_receiver.py --requests 2000 --clients 2 --threads 2
    python benchmarks/otlp_receiver.py --eager          # no Redis: the rollup recompute runs in each request
    python benchmarks/otlp_receiver.py --in-process 2000   # the receiver's CPU a request, in one process

Starts ``gunicorn costdash.wsgi:application --workers 2`` on a free loopback port (DJANGO_DEBUG=false)
against DATABASE_URL (default postgres://postgres@127.0.0.1:5432/costdash_bench: created if missing,
migrated, usage tables emptied), creates an OTLP ingest token, and posts OTLP/JSON bodies of 20
``claude_code.api_request`` records built from the real 2.1.294 capture (shared/samples/otel), each
record with its own request_id; a body's records name the 20 developers in turn, as a Collector
gateway batching many developers' exports would. ``--clients`` processes x ``--threads`` threads
each keep one request in flight (http.client). gunicorn is stopped at the end, always.

With Redis (REDIS_URL, else redis://127.0.0.1:6379/15) the receiver stores each body and answers
(ingest.received); the drains and rollup recomputes it queues go to a queue of this run's own that no
worker reads and that is deleted afterwards. After the load, the batch path is measured on its own: a
child process drains every stored body as a worker does (received_drain: batches of
COSTDASH_RECEIVED_BATCH_BODIES bodies, one COPY upsert a token and batch) and prints records/s.
``--eager``: no Redis, each body processed in its request (the embedded default).

``--worker``: a real Celery worker (``celery -A costdash worker --concurrency=2``, as docker-compose runs
it) reads the run's queue during the load, so bodies become events while they arrive; the run then says how
long after it was stored each body's events were committed (``processed_at - received_at`` of every body:
p50/p95/p99/max), i.e. when they became visible. ``--rate``: the clients' total requests/s (paced; default
as fast as they can), to measure that at a steady load rather than a burst's backlog.
"""
from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
from pathlib import Path
import re
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import import_transcripts as common  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "samples" / "otel" / "a11ign_claude_code_2.1.294_logs_request.json"
RECORDS_PER_BODY = 20
DEVELOPERS = [f"otel-dev{i + 1:02d}@example.com" for i in range(20)]
# (model, input, output, cache read, cache write) per record slot: Claude Code's usual mix
VARIANTS = (("claude-sonnet-4-5", 3, 412, 48_211, 1_630), ("claude-opus-4-6", 1, 1_204, 92_870, 3_410),
            ("claude-haiku-5-5", 2, 4, 9_179, 13_356), ("claude-sonnet-4-5", 9, 88, 61_002, 420),
            ("claude-haiku-4-5", 640, 31, 0, 0))
TARGET_RPS, TARGET_P99_MS = 500, 50
TARGET_BATCH_RECORDS = 20_000  # records/s of the worker's batch path
WARM_UP = 20  # bodies sent before the clock starts
RID, EMAIL = "@@rid@@", "@@email@@"  # where a record's request id and email go in the body template


# ---- the bodies ----

def any_value(value: int | str) -> dict:
    return {"intValue": value} if isinstance(value, int) else {"stringValue": value}


def body_template(run: str) -> list[str]:
    """One OTLP/JSON body as text, split so that each RID and EMAIL slot is a part of its own."""
    sample = json.loads(SAMPLE.read_text())
    resource_logs = sample["resourceLogs"][0]
    scope = resource_logs["scopeLogs"][0]
    record = next(r for r in scope["logRecords"] if r["body"]["stringValue"] == "claude_code.api_request")
    now_ns = time.time_ns()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now_ns / 1e9))
    records = []
    for slot in range(RECORDS_PER_BODY):
        model, inp, out, read, write = VARIANTS[slot % len(VARIANTS)]
        values = {"request_id": f"req_bench{run}_{RID}", "user.email": EMAIL, "model": model,
                  "input_tokens": inp, "output_tokens": out, "cache_read_tokens": read,
                  "cache_creation_tokens": write, "event.timestamp": stamp, "session.id": f"bench-session-{slot}"}
        attributes = [{"key": a["key"], "value": any_value(values[a["key"]])} if a["key"] in values else a
                      for a in record["attributes"]]
        records.append({**record, "timeUnixNano": str(now_ns), "observedTimeUnixNano": str(now_ns),
                        "attributes": attributes})
    body = {"resourceLogs": [{**resource_logs, "scopeLogs": [{**scope, "logRecords": records}]}]}
    parts = re.split(f"({RID}|{EMAIL})", json.dumps(body, separators=(",", ":")))
    assert parts.count(RID) == parts.count(EMAIL) == RECORDS_PER_BODY
    return parts


def render(parts: list[str], index: int) -> bytes:
    """Body ``index``: request ids ``<index>-<record>``, the developers in turn from ``index``."""
    ids, people = itertools.count(), itertools.count(index)
    return "".join(f"{index}-{next(ids)}" if part == RID else DEVELOPERS[next(people) % len(DEVELOPERS)]
                   if part == EMAIL else part for part in parts).encode()


# ---- the load (client processes) ----

def client(port: int, secret: str, first: int, step: int, total: int, threads: int, seconds: float,
           run: str, start, results, interval: float = 0.0) -> None:
    """Post bodies first, first + step, ... below ``total`` from ``threads`` threads until done or
    ``seconds`` after ``start`` is set, each thread one body every ``interval`` seconds at most (0: at once);
    put (latencies, errors, a few of them, CPU s) on ``results``."""
    import http.client

    parts = body_template(run)
    numbers = itertools.count(first, step)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"}
    latencies, failures = [], []  # list.append is atomic: the threads need no lock
    start.wait()
    deadline = time.monotonic() + seconds

    def loop() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        next_at = time.monotonic()
        while (index := next(numbers)) < total and time.monotonic() < deadline:
            if interval:
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))
            body = render(parts, index)
            began = time.perf_counter()
            try:
                conn.request("POST", "/v1/logs", body, headers)
                response = conn.getresponse()
                answer = response.read()
                failed = None if response.status == 200 and answer == b"{}" else f"{response.status} {answer[:200]!r}"
            except (OSError, http.client.HTTPException) as exc:
                failed = f"{type(exc).__name__}: {exc}"
                conn.close()
            if failed:
                failures.append(failed)
            else:
                latencies.append(time.perf_counter() - began)
        conn.close()

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put((latencies, len(failures), failures[:3], usage.ru_utime + usage.ru_stime))


# ---- the server ----

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_now(pids: list[int]) -> tuple[float, float, float, float]:
    """(CPU s of these processes, busy, total and stolen (by the VM's host) CPU s of the machine)."""
    tick, own = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        own += int(fields[11]) + int(fields[12])  # utime, stime
    machine = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return own / tick, (sum(machine) - machine[3] - machine[4]) / tick, sum(machine) / tick, machine[7] / tick


def server_start(env: dict, port: int, log, workers: int = 2, worker_threads: int = 1) -> subprocess.Popen:
    """gunicorn with ``workers`` workers, sync or (``worker_threads`` > 1) gthread, once it answers (stopped
    again if it never does)."""
    import http.client

    kind = ["--worker-class", "gthread", "--threads", str(worker_threads)] if worker_threads > 1 else []
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "costdash.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), *kind, "--no-control-socket"], cwd=ROOT, env=env, stdout=log, stderr=log)
    for _ in range(300):  # up to 30 s for the workers to import the app
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}; see {log.name}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.1)
    server_stop(proc)
    raise SystemExit(f"gunicorn did not answer on port {port}; see {log.name}")


def server_stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ---- the database children ----

def child_token(name: str) -> dict:
    common._django()
    from costdash.ingest.live import ingest_token_create

    return {"secret": ingest_token_create(name=name, kind="otlp")[1]}


def child_count(run: str, name: str) -> dict:
    common._django()
    from costdash.accounts.models import OrgSettings
    from costdash.ingest.models import IngestToken, UsageEvent
    from costdash.lib.dates import reporting_day
    from costdash.rollups.models import DailyCost, DirtyDay

    events = UsageEvent.objects.filter(dedupe_key__startswith=f"otel:req_bench{run}_")
    token = IngestToken.objects.get(name=name)
    # Every developer-day written must still be marked dirty (no worker read the run's queue) or, with
    # --worker, be dirty or recomputed already.
    tz = OrgSettings.get().time_zone
    days = {(d, reporting_day(ts, tz)) for d, ts in events.values_list("developer_id", "timestamp").distinct()}
    marked = set(DirtyDay.objects.values_list("developer_id", "day"))
    marked |= set(DailyCost.objects.values_list("developer_id", "day").distinct())
    result = {"events": events.count(), "developers": events.values("developer").distinct().count(),
              "token_requests": token.requests, "token_events": token.events_new, "days": len(days),
              "days_marked": len(days & marked)}
    token.delete()
    return result


def child_drain(start_at: str = "") -> dict:
    """Process every stored body as a worker does (from the wall-clock time ``start_at`` when given, so that
    several drains start together); the seconds it took, its CPU seconds and what it did."""
    common._django()
    from django.conf import settings

    from costdash.ingest.models import ReceivedBody
    from costdash.ingest.received import received_drain

    waiting = ReceivedBody.objects.filter(state="pending").count()
    if start_at:
        time.sleep(max(0.0, float(start_at) - time.time()))
    began, cpu = time.perf_counter(), time.process_time()
    outcome = received_drain(seconds=3600)
    seconds = time.perf_counter() - began
    return {"waiting": waiting, "seconds": seconds, "cpu": time.process_time() - cpu, "bodies": outcome.bodies,
            "done": outcome.done, "failed": outcome.failed, "records": outcome.records,
            "batch": settings.COSTDASH_RECEIVED_BATCH_BODIES}


def drains(env: dict, count: int) -> dict:
    """``count`` drains at once (as a worker with --concurrency=count: SKIP LOCKED shares the bodies out)."""
    if count == 1:
        return run_child("drain", env)
    start_at = str(time.time() + 8)  # after every child has set Django up
    procs = [subprocess.Popen([sys.executable, __file__, "_child", "drain", start_at], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(count)]
    outs = []
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            sys.stderr.write(out + err)
            raise SystemExit(f"drain failed (exit {proc.returncode})")
        outs.append(json.loads(out.strip().splitlines()[-1]))
    total = {key: sum(o[key] for o in outs) for key in ("bodies", "done", "failed", "records", "cpu")}
    return {**total, "waiting": max(o["waiting"] for o in outs), "seconds": max(o["seconds"] for o in outs),
            "batch": outs[0]["batch"]}


def child_visible(name: str) -> dict:
    """How long after it was stored each body of the run's token had its events committed (its
    ``processed_at``, set in the transaction that writes them), in seconds; and the bodies not done yet."""
    common._django()
    from costdash.ingest.models import ReceivedBody

    bodies = ReceivedBody.objects.filter(token__name=name)
    waits = sorted((done - stored).total_seconds() for stored, done in
                   bodies.filter(state="done").values_list("received_at", "processed_at"))
    return {"waits": waits, "waiting": bodies.exclude(state="done").count()}


def worker_start(env: dict, queue: str, log) -> subprocess.Popen:
    """A Celery worker on the run's queue, as docker-compose runs it (prefork, --concurrency=2)."""
    return subprocess.Popen([str(ROOT / ".venv" / "bin" / "celery"), "-A", "costdash", "worker", "-Q", queue,
                             "--concurrency=2", "--loglevel=WARNING", "--without-gossip", "--without-mingle"],
                            cwd=ROOT, env=env, stdout=log, stderr=log)


def worker_finish(env: dict, name: str, proc: subprocess.Popen, seconds: float = 300) -> dict:
    """Wait (up to ``seconds``) until the worker has done every body of the run, then stop it; child_visible."""
    deadline = time.monotonic() + seconds
    while True:
        seen = run_child("visible", env, name)
        if not seen["waiting"] or time.monotonic() > deadline:
            break
        time.sleep(2)
    server_stop(proc)
    return seen


def child_flush_bodies() -> dict:
    """Empty the stored bodies (a run's drain must find its own bodies only)."""
    common._django()
    from django.db import connection

    from costdash.ingest.models import ReceivedBody

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {connection.ops.quote_name(ReceivedBody._meta.db_table)}")
    return {}


def child_in_process(count: str, run: str) -> dict:
    """POST /v1/logs ``count`` times through costdash.wsgi.application in this process (one thread, no HTTP
    server, no client): the receiver's own CPU a request, and PostgreSQL's for its insert when the server runs
    on this machine (its backend's /proc entry readable)."""
    import io

    import django

    django.setup()
    from django.db import connection

    from costdash.ingest.live import ingest_token_create
    from costdash.wsgi import application

    secret = ingest_token_create(name=f"bench-otlp-in-process-{run}", kind="otlp")[1]
    parts = body_template(run)
    bodies = [render(parts, i) for i in range(int(count) + WARM_UP)]
    statuses = []

    def post(body: bytes) -> None:
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/v1/logs", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
                   "HTTP_HOST": "127.0.0.1", "wsgi.url_scheme": "http", "CONTENT_TYPE": "application/json",
                   "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
                   "HTTP_AUTHORIZATION": f"Bearer {secret}", "SCRIPT_NAME": ""}
        answer = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
        b"".join(answer)
        answer.close()

    def backend_cpu() -> float | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    for body in bodies[int(count):]:
        post(body)
    pg_before, cpu_before, began = backend_cpu(), time.process_time(), time.perf_counter()
    for body in bodies[:int(count)]:
        post(body)
    cpu, seconds, pg_after = time.process_time() - cpu_before, time.perf_counter() - began, backend_cpu()
    return {"requests": int(count), "ok": sum(s.startswith("200") for s in statuses[WARM_UP:]), "cpu": cpu,
            "seconds": seconds, "pg_cpu": None if pg_before is None or pg_after is None else pg_after - pg_before}


def in_process(args, env: dict, run: str) -> int:
    got = run_child("in_process", env, str(args.in_process), run)
    pg = f"; PostgreSQL {1000 * got['pg_cpu'] / got['requests']:.2f} ms" if got["pg_cpu"] is not None else ""
    print(f"in-process:    {got['ok']:,} of {got['requests']:,} requests answered 200 through "
          f"costdash.wsgi.application in {got['seconds']:.1f} s (one thread): "
          f"CPU {1000 * got['cpu'] / got['requests']:.2f} ms a request{pg}; "
          f"load average {os.getloadavg()[0]:.2f}")
    return 0 if got["ok"] == got["requests"] else 1


CHILDREN = {"migrate": common.child_migrate, "in_process": child_in_process, "flush": common.child_flush,
            "flush_bodies": child_flush_bodies, "token": child_token,
            "count": child_count, "drain": child_drain, "visible": child_visible}


def run_child(action: str, env: dict, *args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "_child", action, *args], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"{action} failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---- the run ----

def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000 if ordered else float("nan")


def redis_queue_drop(url: str, queue: str) -> int:
    """Delete this run's queue (and kombu's binding keys for it); returns the tasks it held."""
    import redis

    client = redis.Redis.from_url(url)
    queued = client.llen(queue)
    client.delete(queue, *client.scan_iter(match=f"*{queue}*"))
    return queued


def load(args, env: dict, secret: str, run: str) -> dict:
    """Start gunicorn, warm it up, run the clients, stop it; the outcomes and CPU figures."""
    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="costdash-gunicorn-", suffix=".log", delete=False)
    server = server_start(env, port, log, args.workers, args.worker_threads)
    ctx = multiprocessing.get_context("spawn")
    try:
        # Warm-up (20 bodies, counted as sent): each worker reads the rate table, imports what it lazily needs.
        warm, start, results = args.requests, ctx.Event(), ctx.Queue()
        start.set()
        client(port, secret, warm, 1, warm + WARM_UP, 1, 30, run, start, results)
        warmed, warm_errors, warm_samples, _ = results.get()
        if warm_errors or len(warmed) != WARM_UP:
            raise SystemExit(f"warm-up failed: {warm_samples}; see {log.name}")
        start = ctx.Event()
        interval = args.clients * args.threads / args.rate if args.rate else 0.0
        procs = [ctx.Process(target=client, args=(port, secret, i, args.clients, args.requests, args.threads,
                                                  args.seconds, run, start, results, interval), daemon=True)
                 for i in range(args.clients)]
        for proc in procs:
            proc.start()
        time.sleep(2)  # let the clients import and build their template
        pids = [server.pid, *map(int, Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split())]
        before = cpu_now(pids)
        began = time.perf_counter()
        start.set()
        outcomes = [results.get(timeout=args.seconds + 60) for _ in procs]  # a client that died: queue.Empty
        seconds = time.perf_counter() - began
        server_cpu, busy, cpu_total, steal = (b - a for a, b in zip(before, cpu_now(pids), strict=True))
        for proc in procs:
            proc.join()
    finally:
        server_stop(server)
    log.seek(0)
    tail = log.read()[-1500:]
    os.unlink(log.name)
    return {"outcomes": outcomes, "seconds": seconds, "server_cpu": server_cpu, "busy": busy, "cpu_total": cpu_total,
            "steal": steal, "log_tail": tail}


def report(args, result: dict, counted: dict, queued: int, body_bytes: int, drained: dict | None) -> bool:
    outcomes, seconds, mark = result["outcomes"], result["seconds"], common.mark
    latencies = sorted(itertools.chain.from_iterable(o[0] for o in outcomes))
    errors, samples = sum(o[1] for o in outcomes), [s for o in outcomes for s in o[2]]
    ok, client_cpu = len(latencies), sum(o[3] for o in outcomes)
    rps = ok / seconds
    p50, p95, p99 = (percentile(latencies, p) for p in (0.50, 0.95, 0.99))
    print(f"load:          {ok + errors:,} requests from {args.clients} processes x {args.threads} threads in "
          f"{seconds:.1f} s ({RECORDS_PER_BODY} records, {body_bytes:,} bytes a body)")
    print(f"throughput:    {rps:,.0f} requests/s (target >= {TARGET_RPS}: {mark(rps >= TARGET_RPS)}), "
          f"{rps * RECORDS_PER_BODY:,.0f} records/s")
    print(f"latency:       p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms "
          f"(target p99 < {TARGET_P99_MS} ms: {mark(p99 < TARGET_P99_MS)}), max {latencies[-1] * 1000:.0f} ms")
    print(f"errors:        {errors}" + (f", e.g. {samples[0][:300]}" if samples else ""))
    cores, busy = os.cpu_count(), result["busy"]
    print(f"CPU:           machine {100 * busy / result['cpu_total']:.0f}% busy of {cores} cores over "
          f"{result['cpu_total'] / cores:.1f} s: gunicorn {result['server_cpu']:.1f} s "
          f"({1000 * result['server_cpu'] / max(ok + errors, 1):.2f} ms a request), clients {client_cpu:.1f} s, "
          f"the rest (PostgreSQL, Redis, anything else running) {busy - result['server_cpu'] - client_cpu:.1f} s; "
          f"stolen by the VM host {result['steal']:.1f} s")
    batch_ok = True
    if drained:
        per_s = drained["records"] / drained["seconds"] if drained["seconds"] else float("nan")
        batch_ok = drained["failed"] == 0 and drained["done"] == drained["waiting"]
        print(f"batch path:    {drained['done']:,} of {drained['waiting']:,} stored bodies "
              f"({drained['records']:,} records) "
              f"turned into events in {drained['seconds']:.1f} s by {args.drains} drain(s), batches of "
              f"{drained['batch']} bodies: {per_s:,.0f} records/s (target >= {TARGET_BATCH_RECORDS:,}: "
              f"{mark(per_s >= TARGET_BATCH_RECORDS)}); {drained['failed']} failed; drain CPU "
              f"{1e6 * drained['cpu'] / max(drained['records'], 1):.0f} µs a record")
    sent = (ok + WARM_UP) * RECORDS_PER_BODY
    right = counted["events"] == sent and counted["days_marked"] == counted["days"]
    right = right and counted["token_requests"] == ok + WARM_UP and counted["token_events"] == sent
    print(f"correctness:   {counted['events']:,} events in the DB vs {sent:,} records accepted (with the "
          f"{WARM_UP} warm-up bodies): {'ok' if right else 'WRONG'}; {counted['developers']} developers, "
          f"{counted['days_marked']} of their {counted['days']} developer-days marked dirty; the token counted "
          f"{counted['token_requests']:,} requests and {counted['token_events']:,} events"
          + (f"; {queued:,} rollup tasks queued" if queued else ""))
    if errors and result["log_tail"]:
        print("gunicorn log (tail):\n" + result["log_tail"])
    return right and not errors and batch_ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000, help="Stop after this many requests (default 6,000)")
    parser.add_argument("--seconds", type=float, default=60, help="... or after this long (default 60)")
    parser.add_argument("--clients", type=int, default=2, help="Client processes (default 2)")
    parser.add_argument("--threads", type=int, default=3, help="Threads per client process (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--worker-threads", type=int, default=1,
                        help="Threads per gunicorn worker: over 1, gthread workers (keep-alive) instead of sync")
    parser.add_argument("--drains", type=int, default=1,
                        help="Drains of the batch path run at once (a worker's --concurrency; default 1)")
    parser.add_argument("--in-process", type=int, default=0, metavar="N",
                        help="Instead of the load: N requests through the WSGI application in one process (CPU a "
                             "request, the fairest figure on a shared machine)")
    parser.add_argument("--eager", action="store_true", help="No Redis: the rollup recompute runs in each request")
    parser.add_argument("--worker", action="store_true",
                        help="A Celery worker (--concurrency=2) turns bodies into events during the load: how long "
                             "after it was stored each body's events were visible")
    parser.add_argument("--rate", type=float, default=0,
                        help="The clients' total requests/s, paced (default 0: as fast as they can)")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL") or common.DEFAULT_DATABASE_URL
    run, name = secrets.token_hex(4), f"bench-otlp-{time.time_ns()}"
    env = common.child_env(database_url)
    env.pop("COSTDASH_ALLOW_INSECURE_KEY", None)
    env.update(DJANGO_SECRET_KEY=secrets.token_urlsafe(40), DJANGO_ALLOWED_HOSTS="127.0.0.1",
               COSTDASH_LOG_LEVEL="WARNING")
    redis_url, queue = None, f"costdash-bench-otlp-{run}"
    if not args.eager:
        redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
        env.update(REDIS_URL=redis_url, CELERY_TASK_DEFAULT_QUEUE=queue)
    common.database_ensure(database_url)
    run_child("migrate", env)
    run_child("flush", env)
    run_child("flush_bodies", env)
    if args.in_process:
        try:
            return in_process(args, env, run)
        finally:
            if redis_url:
                redis_queue_drop(redis_url, queue)
    secret = run_child("token", env, name)["secret"]
    mode = ("bodies processed and rollups recomputed in each request (no Redis)" if args.eager
            else f"bodies stored, drains and rollups queued to {redis_url}")
    kind = f"gthread workers x {args.worker_threads} threads" if args.worker_threads > 1 else "sync workers"
    print(f"server:        gunicorn, {args.workers} {kind}, loopback; {mode}; "
          f"DATABASE_CONN_MAX_AGE={env.get('DATABASE_CONN_MAX_AGE', '0')}; "
          f"load average before {os.getloadavg()[0]:.2f}")
    if args.worker and args.eager:
        parser.error("--worker needs Redis (not --eager)")
    worker = seen = None
    if args.worker:
        worker_log = tempfile.NamedTemporaryFile("w+", prefix="costdash-worker-", suffix=".log", delete=False)
        worker = worker_start(env, queue, worker_log)
    try:
        result = load(args, env, secret, run)
        if worker:
            seen = worker_finish(env, name, worker)
    finally:
        if worker and worker.poll() is None:
            worker.kill()
        queued = redis_queue_drop(redis_url, queue) if redis_url else 0
    drained = None if args.eager or args.worker else drains(env, args.drains)
    counted = run_child("count", env, run, name)
    ok = report(args, result, counted, queued, len(render(body_template(run), 0)), drained)
    if seen is not None:
        waits = seen["waits"]
        print(f"visible:       {len(waits):,} bodies turned into events by the worker during the load "
              f"({seen['waiting']} not done); stored -> events committed: p50 {percentile(waits, 0.5):.0f} ms, "
              f"p95 {percentile(waits, 0.95):.0f} ms, p99 {percentile(waits, 0.99):.0f} ms, "
              f"max {percentile(waits, 1.0):.0f} ms")
        worker_log.seek(0)
        errors = [line for line in worker_log.read().splitlines() if "ERROR" in line]
        worker_log.close()
        os.unlink(worker_log.name)
        if errors:
            print("worker errors:\n" + "\n".join(errors[:10]))
    return 0 if ok and (seen is None or not seen["waiting"]) else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["_child"]:
        print(json.dumps(CHILDREN[sys.argv[2]](*sys.argv[3:])))
        sys.exit(0)
    sys.exit(main())
