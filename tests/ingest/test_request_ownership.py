"""A request belongs to one developer: a copy of it reported for someone else (a colleague's message
id sent with their own push token, or in an import for another developer) never replaces, moves or
re-prices the stored one. It is counted as a conflict and raises one "Request conflict" alert
naming both."""
from decimal import Decimal

import pytest

from costdash.alerts.defaults import rules_create_defaults
from costdash.alerts.evaluation import alerts_evaluate
from costdash.alerts.models import AlertEvent, AlertRule
from costdash.ingest.live import ingest_token_create
from costdash.ingest.models import IngestToken, RequestConflict, UsageEvent
from costdash.ingest.services import usage_import
from costdash.rollups.models import DailyCost, DeveloperDay
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.alerts.conftest import org_today
from tests.factories import DeveloperFactory

from .test_transcript_push import lines, push
from .transcripts import assistant_line, write_jsonl

pytestmark = pytest.mark.django_db
# Sonnet 4.6: (4 input × $3 + 100 output × $15 + 1000 cache reads × $0.30) / 1M
ANA_COST = Decimal("0.001812")


@pytest.fixture
def rules(db):
    """The default rules (made by migration; made again here for tests that flush), only "Request conflict" on."""
    AlertRule.objects.all().delete()
    rules_create_defaults(AlertRule)
    AlertRule.objects.exclude(kind="request_conflict").update(enabled=False)


@pytest.fixture
def ana_request(developer_user, client):
    """Ana (the developer persona) pushed one request with her own token; its rollup is computed."""
    ana = developer_user.developer
    secret = ingest_token_create(name="ana's laptop", kind=IngestToken.Kind.TRANSCRIPTS, developer=ana)[1]
    response = push(client, secret, lines(assistant_line(msg="msg_ana", req="req_ana", ts=_ts(), output=100)))
    assert response.json()["new"] == 1
    daily_cost_recompute_dirty()
    assert _ana_state(ana) == (ana.pk, 100, ANA_COST, ANA_COST, ANA_COST)
    return ana


def _ts():
    return f"{org_today()}T10:00:00.000Z"


def _ana_state(ana):
    event = UsageEvent.objects.get(pk="cc:msg_ana")
    return (event.developer_id, event.output_tokens, event.cost,
            DailyCost.objects.get(developer=ana).cost, DeveloperDay.objects.get(developer=ana).cost)


def _the_alert(ana, bob):
    alerts_evaluate()
    alerts_evaluate()
    event = AlertEvent.objects.get()
    assert event.rule.kind == "request_conflict"
    assert event.subject_key == f"conflict:developer:{ana.pk}:developer:{bob.pk}"
    assert ana.email in event.summary and bob.email in event.summary and "cc:msg_ana" in event.summary
    return event


def test_a_colleagues_push_cannot_rewrite_a_request(rules, ana_request, client):
    ana, bob = ana_request, DeveloperFactory(email="bob@example.com")
    secret = ingest_token_create(name="bob's laptop", kind=IngestToken.Kind.TRANSCRIPTS, developer=bob)[1]
    copy = assistant_line(msg="msg_ana", req="req_ana", ts=_ts(), output=9_000_000)
    response = push(client, secret, lines(copy))
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("new", "updated", "duplicates", "conflicts")} == {
        "new": 0, "updated": 0, "duplicates": 0, "conflicts": 1}
    daily_cost_recompute_dirty()
    assert _ana_state(ana) == (ana.pk, 100, ANA_COST, ANA_COST, ANA_COST)  # to the cent, and beyond
    assert not DailyCost.objects.filter(developer=bob).exists()
    push(client, secret, lines(copy))  # sent again: still one conflict row and one alert for the pair today
    assert RequestConflict.objects.get().requests == 2
    event = _the_alert(ana, bob)
    assert event.summary.startswith(f"2 requests stored for Ana ({ana.email}) were sent for ")
    assert f"{bob.email}) on {org_today()} (by push token #" in event.summary


def test_an_import_for_another_developer_cannot_rewrite_a_request(rules, ana_request, tmp_path):
    ana, bob = ana_request, DeveloperFactory(email="bob@example.com")
    copy = assistant_line(msg="msg_ana", req="req_ana", ts=_ts(), output=9_000_000)
    mine = assistant_line(msg="msg_bob", req="req_bob", ts=_ts(), output=100)
    batch = usage_import([write_jsonl(tmp_path / "bob.jsonl", [copy, mine])], developer_email=bob.email)
    assert batch.status == "done"
    assert (batch.requests_new, batch.requests_updated, batch.duplicates, batch.conflicts) == (1, 0, 0, 1)
    daily_cost_recompute_dirty()
    assert _ana_state(ana) == (ana.pk, 100, ANA_COST, ANA_COST, ANA_COST)
    assert DailyCost.objects.get(developer=bob).cost == ANA_COST  # his own request, the same usage as Ana's
    assert _the_alert(ana, bob).link == f"/imports/{batch.pk}/"


def test_the_same_developer_still_replaces_a_smaller_copy(ana_request, client, tmp_path):
    """Cross-import dedupe for one developer works as before: the larger copy wins."""
    ana = ana_request
    batch = usage_import([write_jsonl(tmp_path / "a.jsonl", [assistant_line(
        msg="msg_ana", req="req_ana", ts=_ts(), output=200)])], developer_email=ana.email)
    assert (batch.requests_updated, batch.conflicts) == (1, 0)
    assert UsageEvent.objects.get(pk="cc:msg_ana").output_tokens == 200
    assert not RequestConflict.objects.exists()
