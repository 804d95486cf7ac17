"""The per-developer transcript push: the receiver, the page that hands out tokens and the
script, and the script itself, run as a subprocess against a live server."""
import ast
from decimal import Decimal
import gzip
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

from django.db.models import Sum
import pytest

from costdash.ingest.live import ingest_token_check, ingest_token_create
from costdash.ingest.models import IngestToken, UsageEvent
from costdash.ingest.push import SCRIPT
from costdash.ingest.receivers import MAX_BODY
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.factories import DeveloperFactory

from .test_transcript_samples import FIELDS, VIEWER, rollup_by_day
from .transcripts import assistant_line, oracle_totals

RECEIVER, PAGE, DOWNLOAD = "/ingest/transcripts", "/imports/push/", "/imports/push/costdash_push.py"
VIEWER_ROOT = "claude-code-viewer/mock-global-claude-dir"
SESSION = "projects/sample-project/1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl"  # 15 usage lines, 7 requests


@pytest.fixture
def ana(developer_user):
    return developer_user.developer


@pytest.fixture
def secret(ana):
    return ingest_token_create(name="laptop", kind=IngestToken.Kind.TRANSCRIPTS, developer=ana)[1]


@pytest.fixture
def script():
    """The push script as a module, for testing its parts (the app never imports it)."""
    spec = importlib.util.spec_from_file_location("costdash_push", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def push(client, secret, data, name="projects/p/s.jsonl", **headers):
    auth = {"Authorization": f"Bearer {secret}"} if secret else {}
    return client.post(RECEIVER, data=data, content_type="application/x-ndjson",
                       headers={**auth, "X-Costdash-File": name, **headers})


def lines(*items) -> bytes:
    return b"".join((i if isinstance(i, bytes) else json.dumps(i).encode()) + b"\n" for i in items)


# The receiver ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_pushed_sample_files_give_the_published_totals_for_the_tokens_developer(client, samples, secret):
    root = samples / VIEWER_ROOT
    for path in sorted(root.rglob("*.jsonl")):  # one body per file, as the script sends them
        response = push(client, secret, path.read_bytes(), name=str(path.relative_to(root)))
        assert response.status_code == 200 and response.json()["rejected"] == []
    daily_cost_recompute_dirty()
    assert UsageEvent.objects.count() == 199
    assert set(UsageEvent.objects.values_list("developer__email", flat=True)) == {"ana@example.com"}
    got = rollup_by_day("ana@example.com")
    for day, (requests, inp, out, w5, w1, read, usd) in VIEWER.items():
        assert got[day]["requests"] == requests
        assert [got[day][f] for f in FIELDS] == [inp, out, w5, w1, read]
        assert got[day]["cost"] == Decimal(usd)


@pytest.mark.django_db
def test_the_same_body_twice_counts_once(client, samples, secret, tmp_path):
    body = (samples / VIEWER_ROOT / SESSION).read_bytes()
    first = push(client, secret, body).json()
    assert (first["new"], first["duplicates"], first["rejected"]) == (7, 0, [])
    second = push(client, secret, body).json()
    assert (second["new"], second["updated"], second["duplicates"]) == (0, 0, 7)
    assert UsageEvent.objects.count() == 7
    shutil.copy(samples / VIEWER_ROOT / SESSION, tmp_path / "s.jsonl")
    expected = next(iter(oracle_totals(tmp_path).values()))
    assert UsageEvent.objects.aggregate(out=Sum("output_tokens"))["out"] == expected["output_tokens"]
    token = IngestToken.objects.get()
    assert (token.requests, token.events_new, token.last_used_at is not None) == (2, 7, True)


@pytest.mark.django_db
def test_a_gzip_body_is_accepted(client, samples, secret):
    body = gzip.compress((samples / VIEWER_ROOT / SESSION).read_bytes())
    response = push(client, secret, body, **{"Content-Encoding": "gzip"})
    assert response.status_code == 200 and response.json()["new"] == 7


@pytest.mark.django_db
def test_junk_and_cut_lines_are_rejected_with_reasons_while_good_lines_land(client, secret):
    bad_tokens = assistant_line(msg="msg_bad", req="req_bad")
    bad_tokens["message"]["usage"]["output_tokens"] = "many"
    cut = json.dumps(assistant_line(msg="msg_cut", req="req_cut"))[:-30].encode()  # no closing, no newline
    body = lines(b"not json", assistant_line(msg="msg_good", req="req_good"), bad_tokens) + cut
    response = push(client, secret, body, name="projects/p/%C3%A9t%C3%A9.jsonl")
    answer = response.json()
    assert response.status_code == 200 and answer["new"] == 1 and answer["rejected_count"] == 3
    reasons = {r["line"]: r["reason"] for r in answer["rejected"]}
    assert "malformed JSON" in reasons[1] and "output_tokens" in reasons[3] and "malformed JSON" in reasons[4]
    assert {r["file"] for r in answer["rejected"]} == {"projects/p/été.jsonl"}  # the script percent-encodes
    assert list(UsageEvent.objects.values_list("message_id", flat=True)) == ["msg_good"]
    assert IngestToken.objects.get().rejected == 3


@pytest.mark.django_db
def test_the_file_name_in_rejections_is_cut_to_300_characters(client, secret):
    answer = push(client, secret, b"junk\n", name="x" * 1000).json()
    assert answer["rejected"][0]["file"] == "x" * 300


@pytest.mark.django_db
def test_without_a_valid_push_token_nothing_is_accepted(client, ana, samples):
    body = (samples / VIEWER_ROOT / SESSION).read_bytes()
    revoked, revoked_secret = ingest_token_create(name="old", kind=IngestToken.Kind.TRANSCRIPTS, developer=ana)
    IngestToken.objects.filter(pk=revoked.pk).update(revoked_at="2026-01-01T00:00:00Z")
    otlp_secret = ingest_token_create(name="collector", kind=IngestToken.Kind.OTLP)[1]
    for secret in (None, "cdi_wrong", otlp_secret, revoked_secret):
        response = push(client, secret, body)
        assert response.status_code == 401 and "push token" in response.json()["error"]
    assert push(client, None, body, Authorization="Basic x").status_code == 401
    nobodys = ingest_token_create(name="no one's", kind=IngestToken.Kind.TRANSCRIPTS)[1]
    assert push(client, nobodys, body).status_code == 403  # a push token must name its developer
    assert not UsageEvent.objects.exists()


@pytest.mark.django_db
def test_empty_oversized_and_non_post_requests_are_refused(client, secret):
    assert push(client, secret, b"").status_code == 400
    assert push(client, secret, b"\n \n").status_code == 400
    assert push(client, secret, b"{" + b" " * MAX_BODY + b"}").status_code == 413
    bomb = gzip.compress(b" " * (60 * 1024 * 1024))
    assert push(client, secret, bomb, **{"Content-Encoding": "gzip"}).status_code == 413
    assert client.get(RECEIVER).status_code == 405
    assert not UsageEvent.objects.exists()


# The page ----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_page_needs_a_login_and_is_not_for_billing(client, billing_user):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login/" in response.url
    client.force_login(billing_user)
    assert client.get(PAGE).status_code == 403


@pytest.mark.django_db
def test_a_developer_creates_a_push_token_and_sees_its_secret_once(client, developer_user, ana):
    client.force_login(developer_user)
    page = client.get(PAGE).content.decode()
    assert "Create my push token" in page and "No push tokens yet" in page and "30 days" in page
    response = client.post(PAGE, {"action": "create", "name": "work laptop"})
    secret = response.context["created"]["secret"]
    token = ingest_token_check(secret, IngestToken.Kind.TRANSCRIPTS)
    assert (token.developer, token.created_by, token.name) == (ana, developer_user, "work laptop")
    page = response.content.decode()
    assert f"python3 ~/costdash_push.py --url http://testserver --token {secret}" in page
    assert f"curl -fsSL -o ~/costdash_push.py http://testserver{DOWNLOAD}" in page
    assert f"COSTDASH_TOKEN={secret}" in page  # the cron lines
    later = client.get(PAGE).content.decode()
    assert secret not in later and "work laptop" in later and token.prefix in later
    assert "--token cdi_…" in later


@pytest.mark.django_db
def test_nobody_can_revoke_another_developers_token(client, developer_user, ana):
    bo = DeveloperFactory(email="bo@example.com")
    theirs = ingest_token_create(name="bo's", kind=IngestToken.Kind.TRANSCRIPTS, developer=bo)[0]
    mine = ingest_token_create(name="mine", kind=IngestToken.Kind.TRANSCRIPTS, developer=ana)[0]
    client.force_login(developer_user)
    assert "bo&#x27;s" not in client.get(PAGE).content.decode()
    assert client.post(PAGE, {"action": "revoke", "token_id": theirs.pk}).status_code == 404
    # Not an id at all: 400, never a 500 ("²" and "٣" pass str.isdigit(); int() refuses one, misreads the other).
    for token_id in ("abc", "", "²", "٣", f"{theirs.pk}²", "-1", " 1", "1" * 30):
        response = client.post(PAGE, {"action": "revoke", "token_id": token_id})
        assert response.status_code == 400, token_id
    theirs.refresh_from_db()
    assert theirs.active
    response = client.post(PAGE, {"action": "revoke", "token_id": mine.pk})
    assert response.status_code == 302 and response.url == PAGE
    mine.refresh_from_db()
    assert not mine.active
    assert client.post(PAGE, {"action": "delete-everything"}).status_code == 400


@pytest.mark.django_db
def test_a_user_without_a_developer_is_told_so_and_gets_no_token(client, outsider_user, admin_user):
    for user in (outsider_user, admin_user):
        client.force_login(user)
        assert "not linked to a developer" in client.get(PAGE).content.decode()
        client.post(PAGE, {"action": "create"})
    assert not IngestToken.objects.exists()


@pytest.mark.django_db
def test_an_admin_linked_to_a_developer_gets_the_same_page_for_themselves(client, admin_user):
    me = DeveloperFactory(email="admin@example.com", user=admin_user)
    client.force_login(admin_user)
    client.post(PAGE, {"action": "create"})
    assert IngestToken.objects.get().developer == me


def test_the_script_download_is_served_to_anyone(client):
    response = client.get(DOWNLOAD)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/x-python")
    assert response["Content-Disposition"] == 'attachment; filename="costdash_push.py"'
    assert response.content == SCRIPT.read_bytes()


# The script's parts ------------------------------------------------------------------------------

def test_the_script_is_python_3_8_and_standard_library_only():
    tree = ast.parse(SCRIPT.read_text(), feature_version=(3, 8))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= sys.stdlib_module_names
    assert "removeprefix" not in SCRIPT.read_text()  # 3.9 API a syntax check would not catch


def test_chunks_hold_whole_usage_lines_under_the_limit_and_stop_before_a_cut_line(script, monkeypatch):
    monkeypatch.setattr(script, "CHUNK", 1000)
    usage = [json.dumps(assistant_line(msg=f"msg_{i}")).encode() + b"\n" for i in range(4)]  # ~600 bytes each
    data = usage[0] + b'{"type":"user"}\n' + usage[1] + usage[2] + b'{"type":"summary"}\n' + usage[3][:50]
    got = list(script.chunks(io.BytesIO(data), 0, len(data)))
    assert [body for body, _ in got] == [usage[0], usage[1], usage[2]]
    assert got[-1][1] == len(data) - 50  # past the summary line, before the line still being written
    assert got[0][1] == len(usage[0]) + len(b'{"type":"user"}\n')


def test_a_usage_line_over_the_limit_is_sent_without_its_content(script, monkeypatch):
    monkeypatch.setattr(script, "CHUNK", 2000)
    big = assistant_line(msg="msg_big", output=77)
    big["message"]["content"] = [{"type": "text", "text": "x" * 5000}]
    data = lines({"type": "file-history-snapshot", "snapshot": "y" * 5000}, big)
    [(body, end)] = list(script.chunks(io.BytesIO(data), 0, len(data)))
    sent = json.loads(body)
    assert sent["message"]["content"] == [] and sent["message"]["usage"]["output_tokens"] == 77
    assert end == len(data)


def test_a_shrunk_or_replaced_file_is_sent_again_from_the_start(script, tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"a" * 5000)
    st, head = path.stat(), path.read_bytes()[:4096]
    state = script.record(st, head, 5000)
    assert script.resume_offset(state, st, head) == 5000
    path.write_bytes(b"a" * 6000)  # grew
    assert script.resume_offset(state, path.stat(), path.read_bytes()[:4096]) == 5000
    path.write_bytes(b"a" * 100)  # shrank
    assert script.resume_offset(state, path.stat(), path.read_bytes()[:4096]) == 0
    path.write_bytes(b"b" * 6000)  # rewritten in place: same inode, other first bytes
    assert script.resume_offset(state, path.stat(), path.read_bytes()[:4096]) == 0
    assert script.resume_offset({**state, "inode": -1}, st, head) == 0  # another file at the same path


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_transient_errors_are_retried_and_a_refused_token_stops_at_once(script, monkeypatch):
    calls = []

    def urlopen(request, timeout):
        calls.append(request.get_header("X-costdash-file"))
        if len(calls) == 1:
            raise urllib.error.URLError("connection refused")
        if len(calls) == 2:
            raise urllib.error.HTTPError(request.full_url, 503, "busy", {}, io.BytesIO(b""))
        return FakeResponse(b'{"new": 1}')

    monkeypatch.setattr(script, "BACKOFF", 0)
    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    assert script.post("http://x/ingest/transcripts", "cdi_t", "projects/a b.jsonl", b"{}\n") == {"new": 1}
    assert calls == ["projects/a%20b.jsonl"] * 3

    def refused(request, timeout):
        calls.append(1)
        raise urllib.error.HTTPError(request.full_url, 401, "no", {}, io.BytesIO(b'{"error": "bad token"}'))

    calls.clear()
    monkeypatch.setattr(urllib.request, "urlopen", refused)
    with pytest.raises(script.Stop, match="bad token") as stop:
        script.post("http://x/ingest/transcripts", "cdi_t", "f", b"{}\n")
    assert calls == [1] and stop.value.code == 2 and "http://x/imports/push/" in str(stop.value)


# The script end to end ---------------------------------------------------------------------------

def run_script(url, secret, config, state, *extra):
    """Run the script as a developer would; COSTDASH_PUSH_PYTHON picks another interpreter (e.g. a 3.8)."""
    env = {"CLAUDE_CONFIG_DIR": str(config), "HOME": str(state.parent), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [os.environ.get("COSTDASH_PUSH_PYTHON") or sys.executable, str(SCRIPT), "--url", url, "--token", secret, "--state", str(state), *extra],
        env=env, capture_output=True, text=True, timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.django_db(transaction=True)
def test_the_script_sends_everything_once_then_only_new_complete_lines(live_server, samples, tmp_path, secret):
    config, state = tmp_path / "claude", tmp_path / "home" / "state.json"
    shutil.copytree(samples / VIEWER_ROOT, config)
    state.parent.mkdir()

    code, out, err = run_script(live_server.url, secret, config, state, "--dry-run")
    assert code == 0 and "would send projects/sample-project/" in out and not state.exists()
    assert not UsageEvent.objects.exists()

    code, out, err = run_script(live_server.url, secret, config, state)
    assert code == 0, err
    assert "5 files, 5 with new usage" in out and "199 new" in out and "0 rejected" in out
    assert UsageEvent.objects.filter(developer__email="ana@example.com").count() == 199
    assert rollup_by_day("ana@example.com")["2025-09-07"]["requests"] == VIEWER["2025-09-07"][0]
    requests_after_first = IngestToken.objects.get().requests

    code, out, err = run_script(live_server.url, secret, config, state)
    assert code == 0 and "sent 0 bytes in 0 requests" in out
    assert IngestToken.objects.get().requests == requests_after_first

    new_line = lines(assistant_line(msg="msg_new", req="req_new", output=42))
    half = json.dumps(assistant_line(msg="msg_later", req="req_later")).encode()
    with open(config / SESSION, "ab") as fh:
        fh.write(new_line + half[:40])  # a complete line, then one Claude Code is still writing
    code, out, err = run_script(live_server.url, secret, config, state)
    assert code == 0 and f"sent {len(new_line):,} bytes in 1 requests; 1 new" in out
    assert UsageEvent.objects.get(message_id="msg_new").output_tokens == 42

    with open(config / SESSION, "ab") as fh:
        fh.write(half[40:] + b"\n")
    code, out, err = run_script(live_server.url, secret, config, state)
    assert code == 0 and f"sent {len(half) + 1:,} bytes in 1 requests; 1 new" in out
    assert UsageEvent.objects.count() == 201


@pytest.mark.django_db(transaction=True)
def test_the_script_stops_with_a_clear_message_on_a_refused_token(live_server, samples, tmp_path, ana):
    config, state = tmp_path / "claude", tmp_path / "state.json"
    shutil.copytree(samples / VIEWER_ROOT, config)
    code, out, err = run_script(live_server.url, "cdi_revoked", config, state)
    assert code == 2 and "refused the token" in err and "/imports/push/" in err
    assert "sent 0 bytes" in out and json.loads(state.read_text())["files"] == {}
    assert not UsageEvent.objects.exists()
