"""Digests: a channel that asks for one gets the period's spend, who crossed what, the open alerts and
the top sessions in one message, once per (channel, period), instead of each alert.

The figures are worked by hand from real imports (Sonnet 4.6 output at $15 per million tokens):
yesterday Ana (Platform) made 3 requests of $15.00 in session s-1 and 1 request of a model with no
price in session s-2; Bo (Data) 1 request of $15.00 in s-1; Ana's $15.00 the day before is outside
the period. So yesterday: $60.00 over 5 requests, 1 of them unpriced; Platform alone $45.00 over 4.
"""
from datetime import UTC, date, datetime, time, timedelta
import json

from django.utils import timezone
import pytest

from costdash.accounts.models import Team
from costdash.alerts.digests import digest_period, digests_send
from costdash.alerts.kinds import Finding
from costdash.alerts.models import AlertEvent, Notification
from costdash.alerts.services import event_acknowledge, events_raise
from tests.alerts.conftest import SECRET, costly_lines, make_channel, org_today
from tests.factories import DeveloperFactory
from tests.ingest.transcripts import assistant_line

pytestmark = pytest.mark.django_db


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC)


@pytest.fixture
def yesterday_usage(import_lines, ceiling_rule, default_rules, django_capture_on_commit_callbacks, admin_user):
    """The usage above, and three alerts: Ana's ceiling (raised yesterday, open), Data's team average
    (raised three days ago, open), an import that failed (raised yesterday, acknowledged)."""
    platform, data = Team.objects.create(name="Platform"), Team.objects.create(name="Data")
    ana = DeveloperFactory(email="ana@example.com", name="Ana Lopez", team=platform)
    bo = DeveloperFactory(email="bo@example.com", name="Bo Chen", team=data)
    today = org_today()
    yesterday = today - timedelta(days=1)
    unpriced = assistant_line(msg="msg_u", req="req_u", ts=f"{yesterday}T11:00:00.000Z", session="s-2",
                              model="claude-imaginary-9", input_tokens=0, read=0, output=1000)
    import_lines(costly_lines(yesterday, 3) + [unpriced], name="ana.jsonl")
    import_lines(costly_lines(today - timedelta(days=2), 1, tag="old"), name="old.jsonl")
    import_lines(costly_lines(yesterday, 1, tag="b"), name="bo.jsonl", email="bo@example.com")
    ceiling = AlertEvent.objects.get(rule=ceiling_rule)
    with django_capture_on_commit_callbacks(execute=False):
        average, failed = events_raise([
            Finding(default_rules["team_average"], f"team:{data.pk}", today - timedelta(days=3), "Data avg", "/"),
            Finding(default_rules["import_failed"], "batch:9", yesterday, "An import failed", "/"),
        ])
    AlertEvent.objects.filter(pk=ceiling.pk).update(created_at=at(yesterday, 12))
    AlertEvent.objects.filter(pk=average.pk).update(created_at=at(today - timedelta(days=3), 12))
    AlertEvent.objects.filter(pk=failed.pk).update(created_at=at(yesterday, 13))
    event_acknowledge(failed.pk, admin_user, "re-run")
    return {"ana": ana, "bo": bo, "platform": platform, "data": data, "ceiling": ceiling, "average": average,
            "failed": failed, "yesterday": yesterday, "today": today}


def test_a_daily_digest_says_the_days_spend_who_crossed_what_open_alerts_and_top_sessions(
        receiver, yesterday_usage, smtp):
    u = yesterday_usage
    hook = receiver()
    everyone = make_channel("webhook", "Digest", {"url": f"{hook.url}/d", "secret": SECRET}, digest="daily")
    assert digests_send(now=at(u["today"], 9)) == {everyone.pk: "sent"}
    assert len(hook.received) == 1
    body = json.loads(hook.received[0].body)
    assert hook.received[0].headers["X-Costdash-Event"] == "digest"
    assert body["idempotency_key"] == f"costdash-digest-{everyone.pk}-daily-{u['yesterday']}"
    assert (body["digest"], body["since"], body["until"], body["team"]) == (
        "daily", str(u["yesterday"]), str(u["yesterday"]), None)
    assert (body["spend"], body["requests"], body["unpriced_requests"]) == ("60", 5, 1)
    assert body["top_spenders"] == [
        {"developer": u["ana"].pk, "name": "Ana Lopez", "cost": "45"},
        {"developer": u["bo"].pk, "name": "Bo Chen", "cost": "15"},
    ]
    assert (body["crossed"], body["crossed_count"]) == ([u["ceiling"].pk, u["failed"].pk], 2)  # raised yesterday
    assert (body["open"], body["open_count"]) == ([u["ceiling"].pk, u["average"].pk], 2)  # newest first
    assert [(s["developer"], s["session_id"], s["cost"], s["requests"], s["unpriced_requests"])
            for s in body["top_sessions"]] == [
        (u["ana"].pk, "s-1", "45", 3, 0), (u["bo"].pk, "s-1", "15", 1, 0), (u["ana"].pk, "s-2", None, 1, 1)]


def test_a_team_digest_by_email_covers_the_team_only(smtp, yesterday_usage):
    u = yesterday_usage
    sink = smtp()
    make_channel("email", "Platform digest", {"to": ["lead@example.com"]}, digest="daily", team=u["platform"])
    digests_send(now=at(u["today"], 9))
    email = sink.messages[0]["email"]
    day = f"{u['yesterday']:%Y-%m-%d}"
    assert email["Subject"] == f"[costdash] Daily digest, {day} (Platform): $45.00"
    assert email["X-Costdash-Event"] == "digest"
    text = email.get_content()
    ceiling = u["ceiling"].pk
    expected = "\n".join([
        "Spend $45.00 over 4 requests (1 request with no known price: not in the figure). 1 alert raised, 1 open.",
        "",
        "Top spenders:",
        "- Ana Lopez: $45.00",
        "",
        "Who crossed what (1):",
        f"- #{ceiling} Daily ceiling crossed: Ana Lopez, {day} ($45.00 vs $30.00)",
        "",
        "Open alerts (1):",
        f"- #{ceiling} Daily ceiling crossed: Ana Lopez, {day} ($45.00 vs $30.00)",
        "",
        "Top sessions:",
        "- Ana Lopez, s-1 (/home/dev/app): $45.00, 3 requests",
        "- Ana Lopez, s-2 (/home/dev/app): price unknown, 1 request",
        "",
        "Alerts: https://costdash.example.com/alerts/",
    ])
    assert "\n".join(text.strip().splitlines()) == expected


def test_a_digest_channel_gets_no_single_alerts(receiver, smtp, ceiling_rule, ana_over, evaluate):
    live_hook, digest_hook = receiver(), receiver()
    make_channel("webhook", "Live", {"url": f"{live_hook.url}/l", "secret": SECRET})
    make_channel("webhook", "Digest", {"url": f"{digest_hook.url}/d", "secret": SECRET}, digest="weekly")
    event = evaluate()[0]
    assert len(live_hook.received) == 1 and digest_hook.received == []
    assert list(Notification.objects.values_list("channel__name", flat=True)) == ["Live"]
    event.refresh_from_db()
    assert event.delivery_done_at is not None  # the digest channel does not keep it waiting


def test_a_digest_is_sent_once_per_period_after_the_digest_hour(receiver, yesterday_usage, settings):
    settings.COSTDASH_ALERT_DIGEST_HOUR = 8
    today = yesterday_usage["today"]
    hook = receiver()
    channel = make_channel("webhook", "Digest", {"url": f"{hook.url}/d", "secret": SECRET}, digest="daily")
    assert digests_send(now=at(today, 7, 59)) == {}  # before the hour
    assert digests_send(now=at(today, 8)) == {channel.pk: "sent"}
    assert digests_send(now=at(today, 8, 10)) == {channel.pk: "skipped"}
    assert digests_send(now=at(today, 23, 50)) == {channel.pk: "skipped"}
    assert digests_send(now=at(today + timedelta(days=1), 9)) == {channel.pk: "sent"}  # the next day's
    assert [json.loads(r.body)["since"] for r in hook.received] == [str(today - timedelta(days=1)), str(today)]
    assert Notification.objects.filter(status="sent", digest_period="daily").count() == 2


def test_a_failed_digest_is_tried_again_with_the_same_key_then_sent_once(receiver, yesterday_usage):
    today = yesterday_usage["today"]
    hook = receiver(500)
    channel = make_channel("webhook", "Digest", {"url": f"{hook.url}/d", "secret": SECRET}, digest="daily")
    assert digests_send(now=at(today, 9)) == {channel.pk: "failed"}
    assert digests_send(now=at(today, 9, 10)) == {channel.pk: "sent"}
    assert digests_send(now=at(today, 9, 20)) == {channel.pk: "skipped"}
    keys = {r.headers["Idempotency-Key"] for r in hook.received}
    assert len(hook.received) == 2 and keys == {f"costdash-digest-{channel.pk}-daily-{today - timedelta(days=1)}"}
    assert list(Notification.objects.order_by("attempt").values_list("attempt", "status")) == [
        (1, "failed"), (2, "sent")]


def test_a_digest_waits_for_the_channels_quiet_hours_to_end(receiver, yesterday_usage):
    today = yesterday_usage["today"]
    hook = receiver()
    channel = make_channel("webhook", "Digest", {"url": f"{hook.url}/d", "secret": SECRET}, digest="daily",
                           quiet_start=time(22), quiet_end=time(9, 30))
    assert digests_send(now=at(today, 9)) == {}
    assert digests_send(now=at(today, 9, 30)) == {channel.pk: "sent"}
    assert len(hook.received) == 1


@pytest.mark.parametrize(("today", "kind", "start", "end"), [
    ("2026-12-09", "daily", "2026-12-08", "2026-12-08"),
    ("2026-12-01", "daily", "2026-11-30", "2026-11-30"),
    ("2026-12-09", "weekly", "2026-11-30", "2026-12-06"),  # a Wednesday: last Monday to Sunday
    ("2026-12-07", "weekly", "2026-11-30", "2026-12-06"),  # a Monday
    ("2026-12-06", "weekly", "2026-11-23", "2026-11-29"),  # a Sunday: its week is not over
])
def test_digest_periods(today, kind, start, end):
    period = digest_period(kind, date.fromisoformat(today))
    assert (period.start, period.end) == (date.fromisoformat(start), date.fromisoformat(end))


def test_an_org_time_zone_decides_the_digests_day_and_hour(receiver, db, settings):
    from costdash.accounts.models import OrgSettings

    org = OrgSettings.get()
    org.time_zone = "America/New_York"
    org.save()
    settings.COSTDASH_ALERT_DIGEST_HOUR = 8
    hook = receiver()
    channel = make_channel("webhook", "Digest", {"url": f"{hook.url}/d", "secret": SECRET}, digest="daily")
    now = datetime(2026, 12, 9, 12, 30, tzinfo=UTC)  # 07:30 in New York: before its digest hour
    assert digests_send(now=now) == {}
    assert digests_send(now=now + timedelta(minutes=30)) == {channel.pk: "sent"}
    assert json.loads(hook.received[0].body)["since"] == "2026-12-08"
    assert timezone.is_aware(now)


def test_a_slack_digest_carries_the_whole_digest(receiver, yesterday_usage):
    u = yesterday_usage
    hook = receiver()
    make_channel("slack", "Chat", {"url": f"{hook.url}/services/x"}, digest="daily", team=u["data"])
    digests_send(now=at(u["today"], 9))
    text = json.loads(hook.received[0].body)["text"]
    assert text.startswith(f"*[costdash] Daily digest, {u['yesterday']:%Y-%m-%d} (Data): $15.00*\n")
    assert "Spend $15.00 over 1 request. 0 alerts raised, 1 open." in text  # Data's average, raised before
    assert "- Bo Chen: $15.00" in text and f"- #{u['average'].pk} Team average" in text
    assert hook.received[0].headers["Idempotency-Key"].startswith("costdash-digest-")
