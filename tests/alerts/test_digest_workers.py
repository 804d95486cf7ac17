"""Real Celery workers on the real Redis: two workers running the digest check at once, many times,
send each channel's digest for the period once (the claim in the database decides, not the broker)."""
from datetime import timedelta
import json
import time

import pytest

from costdash.alerts.models import Notification
from costdash.alerts.tasks import alerts_digests
from tests.alerts.conftest import SECRET, make_channel, org_today
from tests.alerts.test_workers_race import start_workers, wait_for  # noqa: F401 (start_workers: the fixture)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_two_workers_checking_digests_at_once_send_each_channels_digest_once(start_workers, receiver):  # noqa: F811
    hook = receiver(delay=0.3)  # slow enough that concurrent sends would overlap
    daily = make_channel("webhook", "Daily", {"url": f"{hook.url}/daily", "secret": SECRET}, digest="daily")
    weekly = make_channel("webhook", "Weekly", {"url": f"{hook.url}/weekly", "secret": SECRET}, digest="weekly")
    workers, _ = start_workers(2, COSTDASH_ALERT_DIGEST_HOUR="0")  # due whatever the hour
    for _ in range(8):
        alerts_digests.delay()

    def both_sent() -> bool:
        return Notification.objects.filter(status="sent", digest_start__isnull=False).count() == 2

    wait_for(both_sent, workers)
    time.sleep(3)  # anything still queued would show by now
    assert sorted(r.path for r in hook.received) == ["/daily", "/weekly"]
    bodies = {r.path: json.loads(r.body) for r in hook.received}
    yesterday = (org_today() - timedelta(days=1)).isoformat()
    assert bodies["/daily"]["since"] == bodies["/daily"]["until"] == yesterday
    assert Notification.objects.filter(channel=daily).count() == 1 and Notification.objects.filter(
        channel=weekly).count() == 1
    logs = [log.read_text() for _, log in workers]
    assert all("costdash.alerts.tasks.alerts_digests" in text for text in logs), "both workers checked"
    assert sum(text.count("'skipped'") for text in logs) >= 8, "the other checks found the digests claimed or sent"
