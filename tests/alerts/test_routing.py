"""Routing: a rule's chosen channels, team-scoped channels, and the two forms of the routing
(one event against each channel; one channel's events as a query) agreeing.

Deliveries go to real local webhook receivers; alerts are raised by the real evaluation (Ana over
the $30 ceiling) or, for the subjects the developer-day kinds never have (a team, an import), by
events_raise with the finding a kind would report."""
from datetime import timedelta
import json

import pytest

from costdash.accounts.models import Team
from costdash.alerts.kinds import Finding
from costdash.alerts.models import AlertEvent, Notification
from costdash.alerts.routing import channel_takes, events_routed_to
from costdash.alerts.services import events_raise
from tests.alerts.conftest import SECRET, make_channel, org_today
from tests.factories import DeveloperFactory

pytestmark = pytest.mark.django_db


def hook(receiver, name: str, **fields):
    server = receiver()
    channel = make_channel("webhook", name, {"url": f"{server.url}/{name}", "secret": SECRET}, **fields)
    return server, channel


def events_in(server) -> list[int]:
    return sorted(json.loads(r.body)["event"] for r in server.received)


def test_a_rule_that_chooses_a_channel_goes_there_only(receiver, ceiling_rule, ana_over, evaluate):
    ops, ops_channel = hook(receiver, "ops")
    finance, _ = hook(receiver, "finance")
    ceiling_rule.channels.set([ops_channel])
    event = evaluate()[0]
    assert events_in(ops) == [event.pk] and finance.received == []
    assert list(Notification.objects.values_list("channel__name", "status")) == [("ops", "sent")]
    event.refresh_from_db()
    assert event.delivery_done_at is not None  # nothing else was meant to get it


def test_a_rule_that_chooses_no_channel_goes_to_every_channel(receiver, ceiling_rule, ana_over, evaluate):
    ops, _ = hook(receiver, "ops")
    finance, _ = hook(receiver, "finance")
    event = evaluate()[0]
    assert events_in(ops) == [event.pk] and events_in(finance) == [event.pk]


def test_a_team_channel_gets_its_own_developers_and_its_own_team_alerts_only(
        receiver, default_rules, django_capture_on_commit_callbacks):
    platform, data = Team.objects.create(name="Platform"), Team.objects.create(name="Data")
    ana = DeveloperFactory(email="ana@example.com", team=platform)
    bo = DeveloperFactory(email="bo@example.com", team=data)
    everyone, _ = hook(receiver, "everyone")
    platform_hook, _ = hook(receiver, "platform", team=platform)
    data_hook, _ = hook(receiver, "data", team=data)
    day = org_today() - timedelta(days=1)
    ceiling, average, failed = default_rules["daily_ceiling"], default_rules["team_average"], default_rules[
        "import_failed"]
    findings = [
        Finding(ceiling, f"developer:{ana.pk}", day, "Ana over", "/", developer_id=ana.pk),
        Finding(ceiling, f"developer:{bo.pk}", day, "Bo over", "/", developer_id=bo.pk),
        Finding(average, f"team:{data.pk}", day, "Data's average over", "/"),
        Finding(failed, "batch:77", day, "An import failed", "/"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        ana_event, bo_event, data_event, batch_event = events_raise(findings)
    assert events_in(everyone) == sorted([ana_event.pk, bo_event.pk, data_event.pk, batch_event.pk])
    assert events_in(platform_hook) == [ana_event.pk]  # not Bo's, not Data's average, not the org's import
    assert events_in(data_hook) == sorted([bo_event.pk, data_event.pk])
    assert AlertEvent.objects.filter(delivery_done_at=None).count() == 0


def test_a_developer_who_moves_team_is_routed_by_their_team_now(receiver, ceiling_rule, ana_over, evaluate):
    data = Team.objects.create(name="Data")
    platform_hook, _ = hook(receiver, "platform", team=ana_over.team)
    data_hook, _ = hook(receiver, "data", team=data)
    ana_over.team = data
    ana_over.save()
    event = evaluate()[0]
    assert platform_hook.received == [] and events_in(data_hook) == [event.pk]


def test_the_channel_query_and_the_per_event_check_agree(receiver, default_rules, django_capture_on_commit_callbacks):
    """Every (channel, event) of a small grid: rules choosing one, two or no channels; channels with
    and without a team; events about a developer of each team, about a team, about the org."""
    platform, data = Team.objects.create(name="Platform"), Team.objects.create(name="Data")
    ana = DeveloperFactory(email="ana@example.com", team=platform)
    bo = DeveloperFactory(email="bo@example.com", team=data)
    loner = DeveloperFactory(email="lo@example.com", team=None)
    _, all_hook = hook(receiver, "all")
    _, platform_hook = hook(receiver, "platform", team=platform)
    _, data_hook = hook(receiver, "data", team=data)
    dev_only = make_channel("email", "developers", {"to": []}, notify_developer=True)
    ceiling, average, failed = (default_rules[k] for k in ("daily_ceiling", "team_average", "import_failed"))
    ceiling.channels.set([platform_hook, dev_only])
    average.channels.set([data_hook])
    day = org_today() - timedelta(days=1)
    findings = [Finding(ceiling, f"developer:{d.pk}", day, "over", "/", developer_id=d.pk) for d in (ana, bo, loner)]
    findings += [Finding(average, f"team:{t.pk}", day, "avg", "/") for t in (platform, data)]
    findings += [Finding(failed, "batch:1", day, "failed", "/")]
    # A team budget's alert names its team first (alerts.kinds.budgets): Data's goes to Data's hook.
    findings += [Finding(average, f"team:{t.pk}:budget:9:share:100", day, "budget", "/") for t in (data, platform)]
    with django_capture_on_commit_callbacks(execute=False):  # routing only: nothing sent
        events = events_raise(findings)
    expected = {
        all_hook.pk: {events[5].pk},  # only the rule choosing no channel
        platform_hook.pk: {events[0].pk},  # Ana's ceiling; the Platform average chose only the Data hook
        data_hook.pk: {events[4].pk, events[6].pk},  # Data's average and budget; Bo's ceiling did not choose it
        dev_only.pk: {events[0].pk, events[1].pk, events[2].pk},  # every ceiling alert: each names a developer
    }
    for channel in (all_hook, platform_hook, data_hook, dev_only):
        by_query = set(events_routed_to(channel).values_list("pk", flat=True))
        one_by_one = {e.pk for e in AlertEvent.objects.select_related("rule", "developer") if channel_takes(channel, e)}
        assert by_query == one_by_one == expected[channel.pk], channel.name


def test_a_queued_send_to_a_channel_the_rule_no_longer_chooses_is_skipped(receiver, ceiling_rule, ana_over,
                                                                          django_capture_on_commit_callbacks):
    from costdash.alerts.delivery import SKIPPED, notification_send
    from costdash.alerts.evaluation import alerts_evaluate

    ops, ops_channel = hook(receiver, "ops")
    finance, finance_channel = hook(receiver, "finance")
    with django_capture_on_commit_callbacks(execute=False):
        event = alerts_evaluate()[0]
    ceiling_rule.channels.set([ops_channel])  # changed after the send was queued
    assert notification_send(event.pk, finance_channel.pk) == SKIPPED
    assert finance.received == [] and not Notification.objects.exists()
