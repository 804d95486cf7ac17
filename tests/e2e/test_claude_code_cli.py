"""End to end with the real Claude Code CLI: its telemetry and its transcripts count each request once.

The pinned CLI (e2e/claude-code, installed with ``npm ci`` when missing) runs headless
(``claude -p``) against ``MessagesStub``, a local Messages API that bills a known usage per
request, and exports its OpenTelemetry log events to costdash's own OTLP receiver (pytest-django's
``live_server``), authenticated by a fresh ingest token. The transcripts it wrote are then
imported for the same developer. Each request thus arrives twice (OTel and JSONL), and the
rollup must still equal exactly what the stub billed, at list prices, each request once. The
CLI's OTLP metrics (token counters without the 5m/1h split, and its cost counter), moved to a
developer with no per-request data, must then price each day and model as the log events did
(issue 17: the split recovered from cost.usage).

Nothing leaves 127.0.0.1: ANTHROPIC_BASE_URL is the stub, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC
is set, and HTTP(S)_PROXY points at the stub, which refuses and records any attempt to reach
another host (``stub.outbound`` must stay empty).
"""
from __future__ import annotations

from decimal import Decimal
import json
import os
from pathlib import Path
import shutil
import subprocess
import time
import urllib.error
import urllib.request

from django.db.models import Sum
import pytest

from costdash.accounts.models import Developer
from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import IngestToken, Source, UsageAggregate, UsageEvent
from costdash.ingest.services import usage_import
from costdash.pricing.rates import RateTable, Usage, cost_of
from costdash.rollups.models import DailyCost
from costdash.rollups.services import daily_cost_mark_all_dirty, daily_cost_recompute_dirty
from tests.e2e.messages_stub import READ_MARKER, MessagesStub, usage_for

ROOT = Path(__file__).resolve().parents[2]
CLI_DIR = ROOT / "e2e" / "claude-code"
CLI = CLI_DIR / "node_modules" / ".bin" / "claude"
PACKAGE = "@anthropic-ai/claude-code"
MODEL = "claude-sonnet-4-6"  # in the rate table; the CLI sends it as given and the stub echoes it
EMAIL = "ana.e2e@example.com"
PROMPTS = (
    "say hi",  # one request, a text answer
    f"Read the file {READ_MARKER} and tell me what it says.",  # a Read tool call, then a text answer: two requests
)
CLI_TIMEOUT = 90  # seconds per run; a run takes about 1 s here
INSTALL_TIMEOUT = 600
OTEL_WAIT = 20  # seconds for exported events to land after the CLI exits (it flushes on exit)
TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens")


def pinned_version() -> str:
    return json.loads((CLI_DIR / "package.json").read_text())["dependencies"][PACKAGE]


def cli_version() -> tuple[str | None, str]:
    """(the version the installed CLI reports, or None, and what it printed)."""
    try:
        result = subprocess.run([str(CLI), "--version"], capture_output=True, text=True, timeout=60,
                                stdin=subprocess.DEVNULL, env={"PATH": os.environ.get("PATH", ""), "HOME": "/nonexistent"})
    except OSError as exc:
        return None, str(exc)
    output = result.stdout + result.stderr
    return (result.stdout.split()[0] if result.returncode == 0 and result.stdout.strip() else None), output


@pytest.fixture(scope="session")
def claude_cli() -> Path:
    """The pinned CLI, installed from the lock file on first use. Fails (never skips) when it cannot be."""
    if not CLI.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(f"npm is not on PATH: it is needed to install {PACKAGE} into {CLI_DIR} (npm ci)")
        command = [npm, "ci", "--prefix", str(CLI_DIR), "--no-audit", "--no-fund"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
                                    stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{' '.join(command)} took over {INSTALL_TIMEOUT} s")
        if result.returncode != 0 or not CLI.exists():
            pytest.fail(f"{' '.join(command)} failed (exit {result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    version, output = cli_version()
    if version is None:
        # The package's postinstall copies the native binary over a placeholder; an npm that
        # skipped install scripts leaves the placeholder. Run it ourselves once.
        install = CLI_DIR / "node_modules" / PACKAGE / "install.cjs"
        node = shutil.which("node")
        if node and install.exists():
            subprocess.run([node, str(install)], cwd=install.parent, capture_output=True, timeout=120)
            version, output = cli_version()
    if version is None:
        pytest.fail(f"{CLI} --version failed:\n{output[-4000:]}")
    if version != pinned_version():
        pytest.fail(f"{CLI} is {version}, but e2e/claude-code pins {pinned_version()}: run npm ci --prefix e2e/claude-code")
    return CLI


def cli_env(home: Path, stub: MessagesStub, otlp_url: str, secret: str) -> dict[str, str]:
    """A clean environment: nothing of the caller's Claude/OTel/proxy settings leaks in."""
    local = "127.0.0.1,localhost"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "CLAUDE_CONFIG_DIR": str(home / ".claude"),
        "TMPDIR": str(home / "tmp"),
        "ANTHROPIC_BASE_URL": stub.url,
        "ANTHROPIC_API_KEY": "sk-ant-api03-dummy-costdash-e2e",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "otlp",  # counted only where no per-request source is (issue 17 check)
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_url,  # the exporter appends /v1/logs and /v1/metrics
        "OTEL_EXPORTER_OTLP_HEADERS": f"Authorization=Bearer {secret}",
        "OTEL_LOGS_EXPORT_INTERVAL": "500",
        "OTEL_METRIC_EXPORT_INTERVAL": "1000",
        # With an API key the CLI names nobody (only an anonymous per-install user.id): tag the
        # developer the documented way. Copied onto every event as user.email.
        "OTEL_RESOURCE_ATTRIBUTES": f"user.email={EMAIL},team.id=e2e",
        # Anything that tries another host goes to the stub's refusing proxy and is recorded.
        "HTTP_PROXY": stub.url, "HTTPS_PROXY": stub.url, "http_proxy": stub.url, "https_proxy": stub.url,
        "NO_PROXY": local, "no_proxy": local,
    }


def run_claude(cli: Path, prompt: str, env: dict[str, str], cwd: Path, stub: MessagesStub) -> dict:
    """``claude -p`` once; its JSON result. Fails with the CLI's output and the stub's log."""
    command = [str(cli), "-p", prompt, "--model", MODEL, "--output-format", "json", "--allowedTools", "Read"]
    try:
        result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT,
                                stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"claude -p {prompt!r} ran over {CLI_TIMEOUT} s\nstdout: {exc.stdout!r}\nstderr: {exc.stderr!r}\n"
                    f"{stub.report()}")
    where = f"claude -p {prompt!r} (exit {result.returncode})\nstdout: {result.stdout[-4000:]}\nstderr: {result.stderr[-4000:]}"
    if result.returncode != 0:
        pytest.fail(f"{where}\n{stub.report()}")
    try:
        output = json.loads(result.stdout)
    except ValueError:
        pytest.fail(f"{where}\nstdout is not the JSON result\n{stub.report()}")
    if output.get("is_error") or "(stub answer" not in str(output.get("result")):
        pytest.fail(f"{where}\nthe CLI did not end with the stub's answer\n{stub.report()}")
    return output


def wait_for_otel_events(expected: int) -> list[UsageEvent]:
    deadline = time.monotonic() + OTEL_WAIT
    while True:
        events = list(UsageEvent.objects.filter(source=Source.OTEL))
        if len(events) >= expected or time.monotonic() > deadline:
            return events
        time.sleep(0.2)


def tokens(obj) -> tuple[int, ...]:
    return tuple(getattr(obj, f) for f in TOKEN_FIELDS)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_real_cli_is_counted_once_at_list_price_from_telemetry_and_transcripts(claude_cli, live_server, tmp_path):
    token, secret = ingest_token_create(name="claude-code e2e", kind=IngestToken.Kind.OTLP)
    home, work = tmp_path / "home", tmp_path / "work"
    for folder in (home / ".claude", home / ".config", home / "tmp", work):
        folder.mkdir(parents=True)
    (work / READ_MARKER).write_text("costdash end-to-end: hello from a file\n")

    with MessagesStub() as stub:
        env = cli_env(home, stub, live_server.url, secret)
        results = [run_claude(claude_cli, prompt, env, work, stub) for prompt in PROMPTS]
        answers = list(stub.answers)
        otel_events = wait_for_otel_events(len(answers))
        log = stub.report()

    sessions = {r["session_id"] for r in results}
    assert len(answers) == 3, f"expected 1 + 2 priced requests (say hi; Read then answer)\n{log}"
    assert [a.stop_reason for a in answers] == ["end_turn", "tool_use", "end_turn"], log
    assert {a.model for a in answers} == {MODEL}, log
    assert not stub.outbound, f"the CLI tried to reach other hosts: {[s.path for s in stub.outbound]}\n{log}"
    assert all(not r["permission_denials"] for r in results), results

    # The telemetry: one api_request event per billed request, with the stub's usage, naming the developer.
    developer = Developer.objects.get(email=EMAIL)
    by_request = {a.request_id: a for a in answers}
    assert {e.request_id for e in otel_events} == set(by_request), (
        f"OTel api_request events {[e.request_id for e in otel_events]} != the stub's requests\n{log}\n"
        f"token: {IngestToken.objects.values('requests', 'events_new', 'rejected').get(pk=token.pk)}"
    )
    for event in otel_events:
        answer = by_request[event.request_id]
        assert tokens(event) == tokens(answer), (event.request_id, tokens(event), tokens(answer))
        assert (event.developer_id, event.model) == (developer.pk, MODEL)
        assert event.session_id in sessions
        # The CLI's own list-price estimate (cost_usd) agrees with costdash's price.
        assert abs(event.reported_cost - event.cost) < Decimal("1e-9"), (event.reported_cost, event.cost)
    assert IngestToken.objects.get(pk=token.pk).rejected == 0

    # The transcripts the CLI wrote for the same requests, imported for the same developer.
    transcripts = sorted((home / ".claude" / "projects").rglob("*.jsonl"))
    assert {p.stem for p in transcripts} >= sessions, transcripts
    batch = usage_import([home / ".claude" / "projects"], developer_email=EMAIL)
    assert batch.status == "done", batch.failure
    jsonl_events = list(UsageEvent.objects.filter(source=Source.CLAUDE_CODE_JSONL))
    assert {e.request_id for e in jsonl_events} == set(by_request), [e.request_id for e in jsonl_events]
    for event in jsonl_events:
        answer = by_request[event.request_id]
        assert (event.message_id, tokens(event)) == (answer.message_id, tokens(answer)), event.dedupe_key
        assert (event.developer_id, event.model, event.session_id in sessions) == (developer.pk, MODEL, True)

    # Every request arrived twice; the rollup counts it once, at list price, from OTel.
    daily_cost_recompute_dirty()
    rows = DailyCost.objects.filter(developer=developer)
    totals = rows.aggregate(requests=Sum("requests"), cost=Sum("cost"), unpriced=Sum("unpriced_requests"),
                            **{f: Sum(f) for f in TOKEN_FIELDS})
    table = RateTable.from_file()  # the checked-in list prices, independent of the database
    expected_cost = sum(cost_of(Usage(model=a.model, **{f: getattr(a, f) for f in TOKEN_FIELDS}), a.at, table)
                        for a in answers)
    expected = {
        "requests": len(answers), "cost": expected_cost, "unpriced": 0,
        **{f: sum(getattr(a, f) for a in answers) for f in TOKEN_FIELDS},
    }
    assert totals == expected, f"rollup {totals} != stub {expected}\nrows: {list(rows.values())}"
    assert set(rows.values_list("source", flat=True)) == {Source.OTEL}
    assert not DailyCost.objects.exclude(developer=developer).exists()
    assert UsageEvent.objects.count() == 2 * len(answers)  # both copies kept; only the rollup dedupes

    metrics_alone_price_as_the_logs(developer, answers, rows, log)


def wait_for_metrics(expected_input: int) -> None:
    """Until the CLI's token.usage input points add up to what the stub billed (it flushes on exit)."""
    deadline = time.monotonic() + OTEL_WAIT
    while time.monotonic() < deadline:
        landed = UsageAggregate.objects.filter(source=Source.OTEL_METRICS).aggregate(n=Sum("input_tokens"))["n"]
        if landed == expected_input:
            return
        time.sleep(0.2)


def metrics_alone_price_as_the_logs(developer: Developer, answers: list, logs_rows, log: str) -> None:
    """Issue 17: the CLI's metrics give cache writes without their 5m/1h split, but its cost.usage
    counter was computed with it. Moved to a developer with no per-request data, the metrics alone
    must price each day and model as the api_request events did (the stub billed both kinds of
    write), their writes split as the stub billed them."""
    assert all(a.cache_write_5m_tokens and a.cache_write_1h_tokens for a in answers)
    wait_for_metrics(sum(a.input_tokens for a in answers))
    metrics = UsageAggregate.objects.filter(source=Source.OTEL_METRICS)
    assert metrics.filter(cache_split_known=False).exists() and metrics.exclude(reported_cost=None).exists(), log
    alone = Developer.objects.create(email="metrics.only@example.com")
    metrics.update(developer=alone)
    daily_cost_mark_all_dirty()
    daily_cost_recompute_dirty()
    truth = {(r.day, r.model): r for r in logs_rows}
    priced = {(r.day, r.model): r for r in DailyCost.objects.filter(developer=alone)}
    assert set(priced) == set(truth), (list(priced), list(truth))
    for key, row in priced.items():
        logs = truth[key]
        assert (row.source, row.cache_split) == (Source.OTEL_METRICS, "recovered"), (key, row.cache_split, log)
        assert abs(row.cost - logs.cost) <= logs.cost * Decimal("1e-6"), (key, row.cost, logs.cost)
        assert tokens(row) == tokens(logs), (key, tokens(row), tokens(logs))


def test_the_stub_answers_plain_and_streaming_requests_with_its_recorded_usage():
    """The stub itself: echoes the model, bills usage_for(n), sends request-id, streams valid SSE."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy

    def post(url: str, body: dict):
        request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        with opener.open(request, timeout=10) as response:
            return response.headers, response.read().decode()

    with MessagesStub() as stub:
        message = {"model": "claude-haiku-4-5-20251001", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
        headers, body = post(f"{stub.url}/v1/messages", message)
        plain = json.loads(body)
        headers2, stream = post(f"{stub.url}/v1/messages?beta=true", {**message, "stream": True})
        _, count = post(f"{stub.url}/v1/messages/count_tokens", message)
        try:
            post(f"{stub.url}/v1/unknown", {})
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
    first, second = stub.answers
    assert headers["request-id"] == first.request_id and plain["id"] == first.message_id
    assert plain["model"] == "claude-haiku-4-5-20251001" and plain["content"][0]["type"] == "text"
    usage = usage_for(1)
    assert plain["usage"]["cache_creation"] == {
        "ephemeral_5m_input_tokens": usage["cache_write_5m_tokens"], "ephemeral_1h_input_tokens": usage["cache_write_1h_tokens"]}
    assert plain["usage"]["output_tokens"] == usage["output_tokens"] == first.output_tokens
    events = [json.loads(line[6:]) for line in stream.splitlines() if line.startswith("data: ")]
    assert [e["type"] for e in events] == ["message_start", "ping", "content_block_start", "content_block_delta",
                                           "content_block_delta", "content_block_stop", "message_delta", "message_stop"]
    assert headers2["request-id"] == second.request_id and events[0]["message"]["id"] == second.message_id
    assert events[-2]["usage"]["output_tokens"] == usage_for(2)["output_tokens"]
    assert json.loads(count)["input_tokens"] > 0 and [s.path for s in stub.unknown] == ["/v1/unknown"]
