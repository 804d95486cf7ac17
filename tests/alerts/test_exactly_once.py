"""One alert per rule, developer and day: re-imports, recomputes, late data and corrections.

Every import below runs the real path: parse, price, mark dirty, the recompute task (in-process),
then the alert rules over the developer-days it wrote, and delivery to a real webhook receiver.
"""
from datetime import timedelta
from decimal import Decimal

import pytest

from costdash.alerts.evaluation import alerts_evaluate
from costdash.alerts.models import AlertEvent, Notification
from costdash.ingest.models import UsageEvent
from costdash.rollups.services import daily_cost_mark_all_dirty
from costdash.rollups.tasks import daily_cost_recompute_dirty
from tests.alerts.conftest import SECRET, costly_lines, make_channel, org_today

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook(receiver, default_rules):
    server = receiver()
    make_channel("webhook", "Ops hook", {"url": f"{server.url}/hook", "secret": SECRET})
    return server


def ceiling_events():
    return AlertEvent.objects.filter(rule__kind="daily_ceiling")


def test_a_day_over_the_ceiling_alerts_once_and_reimporting_the_same_file_sends_nothing_new(import_lines, webhook):
    day = org_today() - timedelta(days=2)
    import_lines(costly_lines(day, 3))  # $45.00
    event = ceiling_events().get()
    assert (event.day, event.figure, event.threshold) == (day, Decimal("45.00"), Decimal("30.00"))
    assert event.developer.email == "ana@example.com" and event.subject_key == f"developer:{event.developer_id}"
    assert len(webhook.received) == 1

    again = import_lines(costly_lines(day, 3))  # the same file: skipped as unchanged
    assert again.files_unchanged == 1
    daily_cost_mark_all_dirty()
    daily_cost_recompute_dirty()  # every day recomputed, every rule evaluated again
    alerts_evaluate()  # and the periodic check
    assert ceiling_events().count() == 1 and AlertEvent.objects.count() == 1
    assert len(webhook.received) == 1 and Notification.objects.count() == 1


def test_exactly_the_ceiling_is_not_over_it(import_lines, webhook):
    import_lines(costly_lines(org_today() - timedelta(days=1), 2))  # $30.00
    assert not ceiling_events().exists() and webhook.received == []


def test_late_data_that_pushes_a_past_day_over_raises_the_alert_then(import_lines, webhook):
    day = org_today() - timedelta(days=5)
    import_lines(costly_lines(day, 2), name="monday.jsonl")  # $30.00: at the line, not over
    assert not ceiling_events().exists()
    import_lines(costly_lines(day, 1, tag="late"), name="late.jsonl")  # arrives days later: $45.00
    event = ceiling_events().get()
    assert (event.day, event.figure) == (day, Decimal("45.00"))
    assert len(webhook.received) == 1


def test_a_day_corrected_back_under_and_over_again_keeps_its_one_alert(import_lines, webhook):
    day = org_today() - timedelta(days=1)
    import_lines(costly_lines(day, 3))  # $45.00
    first = ceiling_events().get()

    # A correction: two of the requests were someone else's. The day falls to $15.00.
    UsageEvent.objects.filter(message_id__in=["msg_a1", "msg_a2"]).delete()
    daily_cost_mark_all_dirty()
    daily_cost_recompute_dirty()
    assert ceiling_events().get() == first  # never deleted when it falls back under

    import_lines(costly_lines(day, 3, tag="b"), name="more.jsonl")  # over again: $60.00
    assert list(ceiling_events()) == [first]
    first.refresh_from_db()
    assert first.figure == Decimal("45.00")  # as measured when it was raised
    assert len(webhook.received) == 1


def test_days_before_the_lookback_window_do_not_alert(import_lines, webhook, settings):
    settings.COSTDASH_ALERT_LOOKBACK_DAYS = 7
    import_lines(costly_lines(org_today() - timedelta(days=8), 3))  # a backfill of old history
    alerts_evaluate()
    assert not AlertEvent.objects.exists() and webhook.received == []


def test_another_developer_and_another_day_each_get_their_own_alert(import_lines, webhook):
    today = org_today()
    import_lines(costly_lines(today - timedelta(days=1), 3) + costly_lines(today - timedelta(days=2), 3, "b"))
    import_lines(costly_lines(today - timedelta(days=1), 3, "c"), name="bo.jsonl", email="bo@example.com")
    assert sorted(ceiling_events().values_list("developer__email", "day")) == [
        ("ana@example.com", today - timedelta(days=2)), ("ana@example.com", today - timedelta(days=1)),
        ("bo@example.com", today - timedelta(days=1)),
    ]
    assert len(webhook.received) == 3
