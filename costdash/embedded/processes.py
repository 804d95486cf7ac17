"""`make run`'s processes: the web server and a Celery worker with embedded beat, started together and
stopped together.

Without REDIS_URL the worker's broker is a folder under DATA_DIR (settings: kombu's filesystem transport),
so nothing else has to run: beat puts each CELERY_BEAT_SCHEDULE entry (alerts, sweeps, the monthly report)
on that queue when it is due, and the worker runs it, and whatever it queues in turn (an alert's
deliveries), with the same tasks and code as production's worker and beat on Redis. The web server and
commands still run what they queue in-process (settings.CELERY_TASK_ALWAYS_EAGER), as before.

Each child runs in a session of its own, so a Ctrl-C reaches this process alone: it stops both children
(SIGTERM: the worker finishes the task in hand, beat stops with it; runserver's reloader takes its child
down), kills what is left after a grace period, and returns. When either child stops by itself (a port
in use), the other is stopped too and its exit status is returned.
"""
from __future__ import annotations

from collections.abc import Callable
import os
import signal
import subprocess
import sys
import threading
import time

from django.conf import settings

WORKER_ARGS = [
    "-m", "celery", "-A", "costdash", "worker", "--beat", "--pool=solo", "--hostname=embedded@%h",
    "--without-gossip", "--without-mingle", "--without-heartbeat",
]


def embedded_commands(addrport: str, *, reload: bool = True, worker_loglevel: str = "WARNING") -> dict[str, list]:
    """The two command lines, by name: the worker (with beat; it reads the schedule file's path from
    settings.CELERY_BEAT_SCHEDULE_FILENAME) and runserver."""
    return {
        "worker": [sys.executable, *WORKER_ARGS, f"--loglevel={worker_loglevel}"],
        "web": [sys.executable, "manage.py", "runserver", addrport, *([] if reload else ["--noreload"])],
    }


def _signal_group(proc: subprocess.Popen, signum: int) -> bool:
    """Signal the group ``proc`` leads (it and its own children: beat, runserver's reloaded child); False
    when no process of that group is left."""
    try:
        os.killpg(proc.pid, signum)
    except ProcessLookupError:
        return False
    return True


def _group_wait(proc: subprocess.Popen, deadline: float) -> bool:
    """Wait for ``proc`` and then every other process of its group to end; False if some are left at ``deadline``."""
    try:
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return False
    while _signal_group(proc, 0):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def processes_stop(procs: dict[str, subprocess.Popen], grace_seconds: float) -> None:
    """SIGTERM to each child's process group, then SIGKILL to whatever is left after ``grace_seconds``
    (a worker still in a long task); returns when every process of those groups has ended."""
    for proc in procs.values():
        _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    for proc in procs.values():
        if not _group_wait(proc, deadline):
            _signal_group(proc, signal.SIGKILL)
            _group_wait(proc, time.monotonic() + 10)


def embedded_run(commands: dict[str, list], *, say: Callable[[str], None], grace_seconds: float = 30) -> int:
    """Start ``commands`` (name -> argv) and wait. Returns 0 after SIGINT/SIGTERM, or the exit status of
    the child that stopped first; either way every child has been stopped."""
    stop = threading.Event()
    handlers = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    procs: dict[str, subprocess.Popen] = {}
    status = 0
    try:
        for name, argv in commands.items():
            procs[name] = subprocess.Popen(argv, cwd=settings.BASE_DIR, start_new_session=True)
        while not stop.is_set():
            ended = next(((name, proc) for name, proc in procs.items() if proc.poll() is not None), None)
            if ended:
                name, proc = ended
                status = proc.returncode or 1  # a server that stops by itself has failed
                say(f"The {name} process stopped (exit status {proc.returncode}); stopping the others.")
                break
            stop.wait(0.5)
        else:
            say("Stopping the web server and the worker...")
    finally:
        processes_stop(procs, grace_seconds)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    return status
