"""The push script against a live server that refuses or keeps failing on one chunk (issue 11,
item 4): progress is saved per accepted chunk, a refused chunk is reported and skipped, a failing
one is retried, then the run moves on, and after STUCK_RUNS runs it is skipped: no run sticks."""
import json
import os
import subprocess
import sys

import pytest

from costdash.ingest.live import LiveBatch, ingest_token_create
from costdash.ingest.models import IngestToken, UsageEvent
from costdash.ingest.push import SCRIPT
from costdash.lib.bodies import BodyError
from tests.factories import DeveloperFactory

from .transcripts import assistant_line, write_jsonl

POISON = b"msg_poison"


@pytest.fixture
def secret(db):
    developer = DeveloperFactory(email="ana@example.com")
    return ingest_token_create(name="laptop", kind=IngestToken.Kind.TRANSCRIPTS, developer=developer)[1]


@pytest.fixture
def config(tmp_path):
    """Two transcripts; a.jsonl's second line is the one the server will not take."""
    root = tmp_path / "claude"
    write_jsonl(root / "projects" / "p" / "a.jsonl", [
        assistant_line(msg="msg_a1", req="req_a1"), assistant_line(msg="msg_poison", req="req_p"),
        assistant_line(msg="msg_a2", req="req_a2"),
    ])
    write_jsonl(root / "projects" / "p" / "b.jsonl", [assistant_line(msg="msg_b1", req="req_b1")])
    return root


def run(url, secret, config, state):
    env = {"CLAUDE_CONFIG_DIR": str(config), "HOME": str(state.parent), "PATH": "/usr/bin:/bin",
           "COSTDASH_PUSH_BACKOFF_SECONDS": "0", "COSTDASH_PUSH_BATCH_BYTES": "1"}  # one line per request
    done = subprocess.run([sys.executable, str(SCRIPT), "--url", url, "--token", secret, "--state", str(state)],
                          env=env, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


def sent():
    return set(UsageEvent.objects.values_list("message_id", flat=True))


def poisoned(monkeypatch, answer, seen=None):
    """The live server's write raises ``answer`` for a body holding the poison line."""
    real = LiveBatch.add

    def write(self, token, source, items):
        items = list(items)
        if any(getattr(i, "message_id", "") == POISON.decode() for i in items):
            if seen is not None:
                seen.append(1)
            raise answer
        return real(self, token, source, items)

    monkeypatch.setattr(LiveBatch, "add", write)


@pytest.mark.django_db(transaction=True)
def test_a_chunk_the_server_refuses_is_reported_and_skipped(live_server, secret, config, tmp_path, monkeypatch):
    poisoned(monkeypatch, BodyError(413, "body holds over 100,000 records"))
    state = tmp_path / "state.json"
    code, out, err = run(live_server.url, secret, config, state)
    assert code == 1 and "refused 1 lines (HTTP 413" in err and "1 lines skipped" in out, (out, err)
    assert sent() == {"msg_a1", "msg_a2", "msg_b1"}
    code, out, err = run(live_server.url, secret, config, state)  # the next run does not send it again
    assert code == 0 and "sent 0 bytes in 0 requests" in out, (out, err)


@pytest.mark.django_db(transaction=True)
def test_a_failing_chunk_moves_the_run_on_and_is_skipped_after_three_runs(live_server, secret, config, tmp_path,
                                                                          monkeypatch):
    """It used to stop the whole run without saving progress, and every later run stuck on it."""
    seen = []
    poisoned(monkeypatch, RuntimeError("a bug on this line"), seen)
    state = tmp_path / "state.json"
    code, out, err = run(live_server.url, secret, config, state)
    assert code == 1 and "HTTP 500" in err and "moving on" in err, (out, err)
    assert sent() == {"msg_a1", "msg_b1"} and len(seen) == 5  # retried 4 times; b.jsonl still sent
    stuck = json.loads(state.read_text())["files"][str(config / "projects" / "p" / "a.jsonl")]["stuck"]
    assert stuck["runs"] == 1

    code, out, err = run(live_server.url, secret, config, state)
    assert code == 1 and sent() == {"msg_a1", "msg_b1"} and len(seen) == 10
    code, out, err = run(live_server.url, secret, config, state)
    assert code == 1 and "failed 3 runs in a row" in err and "1 lines skipped" in out, (out, err)
    assert sent() == {"msg_a1", "msg_a2", "msg_b1"} and len(seen) == 15
    code, out, err = run(live_server.url, secret, config, state)
    assert code == 0 and "sent 0 bytes in 0 requests" in out and len(seen) == 15


@pytest.mark.django_db(transaction=True)
def test_progress_is_saved_after_each_accepted_chunk(live_server, secret, config, tmp_path, monkeypatch):
    """When the second chunk arrives, the state file already holds the first (a run killed there
    would not send it again)."""
    state = tmp_path / "state.json"
    offsets = []
    real = LiveBatch.add

    def write(self, token, source, items):
        items = list(items)
        if any(getattr(i, "message_id", "") == POISON.decode() for i in items):
            files = json.loads(state.read_text())["files"]
            offsets.append(files[str(config / "projects" / "p" / "a.jsonl")]["offset"])
        return real(self, token, source, items)

    monkeypatch.setattr(LiveBatch, "add", write)
    code, out, err = run(live_server.url, secret, config, state)
    first_line = (config / "projects" / "p" / "a.jsonl").read_bytes().index(b"\n") + 1
    assert code == 0 and offsets == [first_line], (out, err)
    assert os.path.exists(state) and sent() == {"msg_a1", "msg_poison", "msg_a2", "msg_b1"}
