"""One run at a time per connection: claimed by compare-and-swap, refreshed per page, taken over when stale."""
from datetime import timedelta

from django.utils import timezone
import pytest

from costdash.connectors.models import AdminApiConnection
from costdash.connectors.services import STALE_AFTER, ClaimLost, connection_claim

pytestmark = pytest.mark.django_db


def test_a_connection_is_claimed_once(make_connection):
    connection = make_connection()
    claim = connection_claim(connection.pk)
    assert claim is not None
    assert connection_claim(connection.pk) is None  # a second worker gets nothing
    claim.heartbeat()  # still ours


def test_a_silent_run_is_taken_over_and_its_next_page_is_refused(make_connection):
    connection = make_connection()
    stale = connection_claim(connection.pk)
    AdminApiConnection.objects.filter(pk=connection.pk).update(
        running_since=timezone.now() - STALE_AFTER - timedelta(seconds=1))
    stale.since = AdminApiConnection.objects.get(pk=connection.pk).running_since

    fresh = connection_claim(connection.pk)

    assert fresh is not None
    with pytest.raises(ClaimLost):
        stale.heartbeat()  # the old run cannot commit another page
    fresh.heartbeat()
