"""Slack and the signed webhook against a real local HTTP server: the signature verifies, a 500 is
tried again and then lands, a 404 disables the channel with the reason on the channels page, and a
Slack URL (a secret) is never shown or logged."""
from datetime import timedelta
import hashlib
import hmac
import json

from django.utils import timezone
import pytest

from costdash.alerts.delivery import alerts_sweep, retry_delay
from costdash.alerts.models import AlertEvent, Channel, Notification
from tests.alerts.conftest import BASE_URL, SECRET, make_channel, org_today

pytestmark = pytest.mark.django_db
SLACK_PATH = "/services/T0001/B0002/s3cr3tT0kenValue"


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (README, "Alerts")."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_the_webhook_body_is_signed_with_the_channel_secret_and_carries_the_alert(receiver, ceiling_rule, ana_over,
                                                                                   evaluate):
    server = receiver()
    make_channel("webhook", "Ops", {"url": f"{server.url}/costdash", "secret": SECRET})
    event = evaluate()[0]
    request = server.received[0]
    assert request.path == "/costdash"
    assert verify(SECRET, request.body, request.headers["X-Costdash-Signature"])
    assert not verify("another-secret-of-16+", request.body, request.headers["X-Costdash-Signature"])
    assert not verify(SECRET, request.body.replace(b"45", b"15"), request.headers["X-Costdash-Signature"])
    body = json.loads(request.body)
    assert request.headers["X-Costdash-Timestamp"] == str(body["sent_at"])
    assert request.headers["X-Costdash-Event"] == str(event.pk) and request.headers["Content-Type"] == "application/json"
    day = org_today() - timedelta(days=1)
    assert body["developer"] == {"id": ana_over.pk, "email": "ana@example.com", "name": "Ana Lopez"}
    assert (body["kind"], body["day"], body["figure"], body["threshold"], body["unit"]) == (
        "daily_ceiling", day.isoformat(), "45", "30", "usd")
    assert body["url"] == f"{BASE_URL}/developers/{ana_over.pk}/?since={day - timedelta(days=29)}&until={day}"
    assert body["alert_url"] == f"{BASE_URL}/alerts/{event.pk}/" and body["test"] is False


def test_a_500_is_tried_again_and_the_retry_lands(receiver, ceiling_rule, ana_over, evaluate, settings):
    server = receiver(500)
    channel = make_channel("webhook", "Ops", {"url": f"{server.url}/hook", "secret": SECRET})
    evaluate()  # in-process: the 500 waits for the sweeper (a worker retries it with backoff: test_workers_race)
    event = AlertEvent.objects.get()
    assert event.delivery_done_at is None
    assert alerts_sweep(now=timezone.now() + timedelta(seconds=settings.COSTDASH_ALERT_RESEND_SECONDS + 1)) == 1
    attempts = list(Notification.objects.order_by("attempt").values_list("attempt", "status", "response_code"))
    assert attempts == [(1, "failed", 500), (2, "sent", 200)]
    assert len(server.received) == 2
    assert all(verify(SECRET, r.body, r.headers["X-Costdash-Signature"]) for r in server.received)
    channel.refresh_from_db()
    event.refresh_from_db()
    assert channel.enabled and "HTTP 500" in channel.last_error and event.delivery_done_at is not None


def test_a_404_disables_the_channel_and_the_channels_page_says_why(receiver, ceiling_rule, ana_over, evaluate, client,
                                                                   admin_user, settings):
    server = receiver(404)
    channel = make_channel("slack", "Team chat", {"url": f"{server.url}{SLACK_PATH}"})
    evaluate()
    channel.refresh_from_db()
    assert not channel.enabled
    reason = f"Disabled after a permanent error: POST Slack webhook {server.url}/…alue: HTTP 404 no_service"
    assert channel.disabled_reason == reason
    note = Notification.objects.get()
    assert (note.status, note.permanent, note.response_code) == ("failed", True, 404)
    alerts_sweep(now=timezone.now() + timedelta(seconds=settings.COSTDASH_ALERT_RESEND_SECONDS + 1))
    assert len(server.received) == 1  # neither retried nor swept again
    assert AlertEvent.objects.get().delivery_done_at is not None

    client.force_login(admin_user)
    page = client.get("/alerts/channels/").content.decode()
    assert "disabled" in page and reason in page
    assert SLACK_PATH not in page and "s3cr3t" not in page


def test_slack_gets_the_line_and_a_link_and_its_url_is_never_shown_or_logged(receiver, ceiling_rule, ana_over,
                                                                              evaluate, client, admin_user, caplog):
    server = receiver(503, then=200)
    channel = make_channel("slack", "Team chat", {"url": f"{server.url}{SLACK_PATH}"})
    evaluate()
    alerts_sweep(now=timezone.now() + timedelta(hours=1))
    text = json.loads(server.received[-1].body)["text"]
    day = org_today() - timedelta(days=1)
    assert text.startswith(f"*[costdash] Daily ceiling crossed: Ana Lopez, {day:%Y-%m-%d} ($45.00 vs $30.00)*\n")
    assert f"Ana Lopez spent $45.00 on {day:%Y-%m-%d}, over the daily ceiling of $30.00." in text
    assert text.endswith(f"<{BASE_URL}/developers/{ana_over.pk}/?since={day - timedelta(days=29)}&until={day}"
                         "|Open in costdash>")
    channel.refresh_from_db()
    assert channel.hint == f"{server.url}/…alue" and "HTTP 503" in channel.last_error
    client.force_login(admin_user)
    pages = client.get("/alerts/channels/").content.decode() + client.get(f"/alerts/channels/{channel.pk}/").content.decode()
    stored = [channel.config_ciphertext, channel.hint, channel.last_error, *Notification.objects.values_list("error", flat=True)]
    for where in [pages, caplog.text, *stored]:
        assert "s3cr3t" not in where and "B0002" not in where


def test_a_bad_webhook_address_disables_the_channel(ceiling_rule, ana_over, evaluate):
    channel = make_channel("webhook", "Ops", {"url": "ftp://example.com/hook", "secret": SECRET})
    evaluate()
    channel.refresh_from_db()
    assert not channel.enabled and "only http and https URLs are called" in channel.disabled_reason


def test_retries_back_off_exponentially_up_to_a_cap(settings):
    settings.COSTDASH_ALERT_RETRY_SECONDS = 30
    assert [retry_delay(n) for n in range(8)] == [30, 60, 120, 240, 480, 960, 1800, 1800]


def test_a_channel_disabled_earlier_gets_no_new_alerts(receiver, ceiling_rule, ana_over, evaluate):
    server = receiver()
    make_channel("webhook", "Ops", {"url": f"{server.url}/hook", "secret": SECRET}, enabled=False)
    evaluate()
    assert server.received == [] and AlertEvent.objects.get().delivery_done_at is not None
    assert not Channel.objects.get().notifications.exists()
