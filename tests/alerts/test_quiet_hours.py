"""Quiet hours: a channel holds alerts that are not urgent until its quiet hours end (org time),
then the sweeper sends them, once; urgent alerts go at once. Real webhook receiver; the org is in
Berlin so the quiet hours are not UTC's."""
from datetime import datetime, time, timedelta
from decimal import Decimal
import json
from zoneinfo import ZoneInfo

from django.utils import timezone
import pytest

from costdash.accounts.models import OrgSettings
from costdash.alerts.delivery import alerts_sweep
from costdash.alerts.models import AlertEvent, AlertRule, Channel, Notification
from costdash.alerts.routing import quiet_until, urgent_by_default
from tests.alerts.conftest import SECRET, make_channel

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def berlin(db):
    org = OrgSettings.get()
    org.time_zone = "Europe/Berlin"
    org.save()
    return org


def quiet_around_now(hours: int = 1) -> tuple[time, time, datetime]:
    """Quiet hours from an hour ago to an hour from now (Berlin time, whole minutes); and their end."""
    local = timezone.now().astimezone(BERLIN).replace(second=0, microsecond=0)
    start, end = local - timedelta(hours=hours), local + timedelta(hours=hours)
    return start.time(), end.time(), end


def test_a_non_urgent_alert_is_held_in_quiet_hours_then_sent_once_they_end(receiver, ceiling_rule, ana_over,
                                                                           evaluate, berlin, settings, client,
                                                                           admin_user):
    ceiling_rule.urgent = False
    ceiling_rule.save()
    server = receiver()
    start, end, end_at = quiet_around_now()
    make_channel("webhook", "Ops", {"url": f"{server.url}/hook", "secret": SECRET}, quiet_start=start, quiet_end=end)
    event = evaluate()[0]
    assert server.received == [] and not Notification.objects.exists()
    event.refresh_from_db()
    assert event.delivery_done_at is None  # held, not settled

    client.force_login(admin_user)
    page = client.get(f"/alerts/{event.pk}/").content.decode()
    assert f"held for the quiet hours, until {end:%H:%M}" in page
    assert "Not urgent: a channel's quiet hours hold it until they end." in page

    resend = timedelta(seconds=settings.COSTDASH_ALERT_RESEND_SECONDS + 1)
    alerts_sweep(now=timezone.now() + resend)  # still quiet
    assert server.received == []
    alerts_sweep(now=end_at + resend)  # the first sweep after they end
    assert [json.loads(r.body)["event"] for r in server.received] == [event.pk]
    event.refresh_from_db()
    assert event.delivery_done_at is not None
    alerts_sweep(now=end_at + 3 * resend)
    assert len(server.received) == 1 and Notification.objects.get().status == "sent"


def test_an_urgent_alert_goes_in_quiet_hours(receiver, ceiling_rule, ana_over, evaluate, berlin):
    assert ceiling_rule.urgent is None and ceiling_rule.is_urgent  # the daily ceiling is urgent by default
    server = receiver()
    start, end, _ = quiet_around_now()
    make_channel("webhook", "Ops", {"url": f"{server.url}/hook", "secret": SECRET}, quiet_start=start, quiet_end=end)
    event = evaluate()[0]
    assert [json.loads(r.body)["event"] for r in server.received] == [event.pk]


def test_a_channel_outside_its_quiet_hours_sends_at_once(receiver, ceiling_rule, ana_over, evaluate, berlin):
    ceiling_rule.urgent = False
    ceiling_rule.save()
    server = receiver()
    local = timezone.now().astimezone(BERLIN)
    later = [(local + timedelta(hours=h)).time().replace(second=0, microsecond=0) for h in (2, 4)]
    make_channel("webhook", "Ops", {"url": f"{server.url}/hook", "secret": SECRET},
                 quiet_start=later[0], quiet_end=later[1])
    evaluate()
    assert len(server.received) == 1


@pytest.mark.parametrize(("clock", "until"), [
    ("2026-03-10 23:30", "2026-03-11 07:00"),  # after the start: until tomorrow morning
    ("2026-03-11 06:59", "2026-03-11 07:00"),  # after midnight: until this morning
    ("2026-03-11 07:00", None),  # the end is not quiet
    ("2026-03-11 21:59", None),
    ("2026-03-11 22:00", "2026-03-12 07:00"),  # the start is
])
def test_quiet_hours_that_span_midnight(clock, until):
    channel = Channel(quiet_start=time(22), quiet_end=time(7))
    now = datetime.strptime(clock, "%Y-%m-%d %H:%M").replace(tzinfo=BERLIN)
    got = quiet_until(channel, now.astimezone(ZoneInfo("UTC")), BERLIN)
    assert got == (None if until is None else datetime.strptime(until, "%Y-%m-%d %H:%M").replace(tzinfo=BERLIN))


def test_quiet_hours_within_a_day_and_none():
    midday = Channel(quiet_start=time(12), quiet_end=time(14))
    at = datetime(2026, 7, 1, 11, 0, tzinfo=ZoneInfo("UTC"))  # 13:00 in Berlin (summer time)
    assert quiet_until(midday, at, BERLIN) == datetime(2026, 7, 1, 14, 0, tzinfo=BERLIN)
    assert quiet_until(midday, at + timedelta(hours=1), BERLIN) is None
    assert quiet_until(Channel(), at, BERLIN) is None


@pytest.mark.parametrize(("kind", "threshold", "subject", "urgent"), [
    ("daily_ceiling", "30", "developer:1", True),
    ("limit_share", "100", "limit:1", True),
    ("limit_share", "120", "limit:1", True),
    ("limit_share", "80", "limit:1", False),
    ("limit_share", "50", "limit:1", False),
    ("projected_ceiling", "30", "developer:1", False),
    ("limit_projected", "100", "limit:1", False),
    ("team_average", "13", "team:1", False),
    ("import_failed", None, "batch:1", False),
    ("budget_share", None, "budget:3:share:100", True),
    ("budget_share", None, "budget:3:developer:2:share:80", False),
])
def test_which_alerts_are_urgent_by_default(kind, threshold, subject, urgent):
    rule = AlertRule(kind=kind, threshold=None if threshold is None else Decimal(threshold))
    assert urgent_by_default(rule, AlertEvent(rule=rule, subject_key=subject)) is urgent


def test_the_rule_overrides_the_default(ceiling_rule):
    ceiling_rule.urgent = False
    assert not ceiling_rule.is_urgent
    projected = AlertRule(kind="projected_ceiling", threshold=Decimal("30"), urgent=True)
    assert projected.is_urgent
