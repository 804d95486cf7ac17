"""Webhook and Slack deliveries carry an idempotency key, and a timed-out attempt is "unknown"
(issue 11, item 7): a receiver slower than the timeout may get an alert more than once, but every
copy carries the same key ("costdash-alert-<id>", in the Idempotency-Key header and, signed, in the
webhook body), so it can keep one. Against real local HTTP servers."""
from datetime import timedelta
import json
import socket
import threading

from django.utils import timezone
import pytest

from costdash.alerts.delivery import alerts_sweep, channel_send_test
from costdash.alerts.models import AlertEvent, Notification
from costdash.lib.http import HttpError, http_post
from tests.alerts.conftest import SECRET, make_channel
from tests.alerts.test_webhook_channels import SLACK_PATH, verify

pytestmark = pytest.mark.django_db
TIMEOUT = 0.3  # seconds: the receivers below take longer than this


def sweep_later(settings, times: int) -> None:
    """Run the sweeper ``times`` times, each as if the resend delay had passed (tasks run in-process)."""
    for n in range(1, times + 1):
        later = timezone.now() + timedelta(seconds=(settings.COSTDASH_ALERT_RESEND_SECONDS + 1) * n)
        alerts_sweep(now=later)


def test_a_receiver_slower_than_the_timeout_gets_one_key_and_the_attempts_are_unknown(
        receiver, ceiling_rule, ana_over, evaluate, settings, client, admin_user):
    settings.COSTDASH_ALERT_HTTP_TIMEOUT_SECONDS = TIMEOUT
    server = receiver(delay=TIMEOUT * 4)  # gets every request whole, answers too late
    make_channel("webhook", "Ops", {"url": f"{server.url}/hook", "secret": SECRET})

    event = evaluate()[0]
    sweep_later(settings, 4)

    assert len(server.received) == 5
    key = f"costdash-alert-{event.pk}"
    assert [r.headers["Idempotency-Key"] for r in server.received] == [key] * 5
    for request in server.received:
        assert verify(SECRET, request.body, request.headers["X-Costdash-Signature"])  # the key is signed
        assert json.loads(request.body)["idempotency_key"] == key
    attempts = list(Notification.objects.order_by("attempt").values_list("attempt", "status", "permanent"))
    assert attempts == [(n, "unknown", False) for n in range(1, 6)]
    assert "may have been received" in Notification.objects.first().error
    AlertEvent.objects.filter(pk=event.pk, delivery_done_at=None).get()  # still to be settled, not given up

    client.force_login(admin_user)
    html = client.get(f"/alerts/{event.pk}/").content.decode()
    assert "status--warning" in html and ">unknown</span>" in html and "may have arrived" in html


def test_slack_retries_carry_the_same_key(receiver, ceiling_rule, ana_over, evaluate, settings):
    server = receiver(500)
    make_channel("slack", "Team chat", {"url": f"{server.url}{SLACK_PATH}"})
    event = evaluate()[0]
    sweep_later(settings, 1)
    statuses = list(Notification.objects.order_by("attempt").values_list("status", flat=True))
    assert statuses == ["failed", "sent"]  # an answer came: a 500 is a failure, not unknown
    assert [r.headers["Idempotency-Key"] for r in server.received] == [f"costdash-alert-{event.pk}"] * 2


def test_nothing_sent_is_failed_not_unknown(ceiling_rule, ana_over, evaluate, unused_port):
    make_channel("webhook", "Ops", {"url": f"http://127.0.0.1:{unused_port}/hook", "secret": SECRET})
    evaluate()
    note = Notification.objects.get()
    assert note.status == "failed" and "may have been received" not in note.error


def test_each_test_message_has_its_own_key(receiver, admin_user):
    server = receiver()
    channel = make_channel("webhook", "Ops", {"url": f"{server.url}/hook", "secret": SECRET})
    assert channel_send_test(channel, admin_user) is None and channel_send_test(channel, admin_user) is None
    keys = [r.headers["Idempotency-Key"] for r in server.received]
    assert len(set(keys)) == 2 and all(k.startswith("costdash-test-") for k in keys)
    assert [json.loads(r.body)["idempotency_key"] for r in server.received] == keys


def test_lib_http_says_when_a_request_went_out_and_no_answer_came():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    got = []

    def accept_and_drop():
        conn, _ = listener.accept()
        got.append(conn.recv(65536))
        threading.Event().wait(TIMEOUT * 3)
        conn.close()

    thread = threading.Thread(target=accept_and_drop, daemon=True)
    thread.start()
    with pytest.raises(HttpError) as caught:
        http_post(f"http://127.0.0.1:{port}/hook", b'{"a": 1}', timeout=TIMEOUT)
    assert caught.value.unknown is True and caught.value.permanent is False and got
    thread.join()
    listener.close()
    with pytest.raises(HttpError) as refused:
        http_post(f"http://127.0.0.1:{port}/hook", b"{}", timeout=TIMEOUT)  # nobody listens any more
    assert refused.value.unknown is False
