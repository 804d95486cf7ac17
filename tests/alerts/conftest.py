"""Alert fixtures: the default rules, real receivers (HTTP and SMTP), channels pointing at them,
and transcript usage with hand-worked costs (Sonnet 4.6 output at $15 per million tokens, so a
request of 1M output tokens and nothing else costs exactly $15.00)."""
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone
import pytest

from costdash.accounts.models import OrgSettings
from costdash.alerts.defaults import rules_create_defaults
from costdash.alerts.evaluation import alerts_evaluate
from costdash.alerts.models import AlertRule, Channel
from costdash.alerts.services import channel_save
from costdash.ingest.services import usage_import
from costdash.lib.dates import reporting_day
from tests.alerts.receivers import HttpReceiver, SmtpSink
from tests.factories import DailyCostFactory, DeveloperFactory
from tests.ingest.transcripts import assistant_line, write_jsonl

BASE_URL = "https://costdash.example.com"
SECRET = "whsec-test-0123456789abcdef"


def org_today() -> date:
    return reporting_day(timezone.now(), OrgSettings.get().time_zone)


def costly_lines(day: date, n: int, tag: str = "a", hour: int = 10) -> list[dict]:
    """n requests of $15.00 each on ``day`` (UTC; the test org is UTC)."""
    return [
        assistant_line(msg=f"msg_{tag}{i}", req=f"req_{tag}{i}", ts=f"{day}T{hour:02d}:{i % 60:02d}:00.000Z",
                       input_tokens=0, read=0, output=1_000_000)
        for i in range(n)
    ]


@pytest.fixture
def import_lines(tmp_path, django_capture_on_commit_callbacks):
    """Import a transcript of ``lines`` for ``email``, running what its commit queues (the recompute
    task, its alert evaluation, delivery) as a real commit would; returns the ImportBatch."""

    def run(lines: list[dict], name: str = "session.jsonl", email: str = "ana@example.com"):
        with django_capture_on_commit_callbacks(execute=True):
            return usage_import([write_jsonl(tmp_path / name, lines)], developer_email=email)

    return run


@pytest.fixture
def evaluate(django_capture_on_commit_callbacks):
    """alerts_evaluate(), running the deliveries its commit queues; returns the events it raised."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return alerts_evaluate(**kwargs)

    return run


@pytest.fixture
def ana_over(db):
    """Ana (team Platform) spent $45.00 yesterday: over the $30 ceiling."""
    ana = DeveloperFactory(email="ana@example.com", name="Ana Lopez", team__name="Platform")
    DailyCostFactory(developer=ana, day=org_today() - timedelta(days=1), cost=Decimal("45.00"))
    return ana


@pytest.fixture(autouse=True)
def _alert_settings(settings):
    settings.COSTDASH_BASE_URL = BASE_URL
    settings.COSTDASH_ALERT_RETRY_SECONDS = 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def default_rules(db) -> dict[str, AlertRule]:
    """The default rules (created by migration; tests that flush the database lose them), by kind;
    the limit share rules under "limit_share_50" and so on."""
    AlertRule.objects.all().delete()
    rules_create_defaults(AlertRule)
    out = {}
    for rule in AlertRule.objects.all():
        key = f"{rule.kind}_{rule.threshold:.0f}" if rule.kind == "limit_share" else rule.kind
        out[key] = rule
    return out


@pytest.fixture
def ceiling_rule(default_rules) -> AlertRule:
    """The default daily ceiling rule ($30), every other rule disabled."""
    AlertRule.objects.exclude(kind="daily_ceiling").update(enabled=False)
    return default_rules["daily_ceiling"]


@pytest.fixture
def receiver():
    servers = []

    def start(*script, then=200, delay=0.0) -> HttpReceiver:
        server = HttpReceiver(script, then=then, delay=delay).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def smtp(settings):
    sinks = []

    def start(refuse=None) -> SmtpSink:
        sink = SmtpSink(refuse).start()
        sinks.append(sink)
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        return sink

    yield start
    for sink in sinks:
        sink.stop()


@pytest.fixture
def unused_port() -> int:
    """A local port nothing listens on."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_channel(kind: str, name: str, config: dict, **fields) -> Channel:
    return channel_save(Channel(kind=kind, name=name, **fields), config)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_current_timezone())
