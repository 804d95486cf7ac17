"""The unassigned-people page: admins only; mapping and merging really move usage."""
from django.urls import reverse
import pytest

from costdash.accounts.models import Developer, Identity
from costdash.ingest.models import UsageEvent

pytestmark = pytest.mark.django_db
PAGE = reverse("accounts:unassigned")


def test_people_pages_need_an_admin(client, developer_user, billing_user):
    assert client.get(PAGE).url.startswith(reverse("login"))
    for user in (developer_user, billing_user):
        client.force_login(user)
        assert client.get(PAGE).status_code == 403
        assert client.post(reverse("accounts:merge"), {"duplicate": 1, "into": 2}).status_code == 403


def test_an_admin_maps_an_identity_from_the_page(client, admin_user, django_capture_on_commit_callbacks):
    bot = Identity.objects.create(source="litellm", external_id="key-alias-ci")
    UsageEvent.objects.create(dedupe_key="litellm:9", source="litellm_spendlogs", identity=bot,
                              timestamp="2026-03-02T10:00:00+00:00", model="claude-sonnet-4-6", cost="0.5")
    client.force_login(admin_user)
    page = client.get(PAGE).content.decode()
    assert "key-alias-ci" in page and "$0.50" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:identity_map", args=[bot.pk]), {"email": "Ops@Example.com"})
    assert UsageEvent.objects.get().developer.email == "ops@example.com"
    assert list(client.get(PAGE).context["identities"]) == []  # no one left to map
    assert not Identity.objects.filter(source="admin").exists()


def test_merge_refuses_a_developer_into_itself(client, admin_user):
    ana = Developer.objects.create(email="ana@example.com")
    client.force_login(admin_user)
    response = client.post(reverse("accounts:merge"), {"duplicate": ana.pk, "into": ana.pk}, follow=True)
    assert "cannot be merged into itself" in response.content.decode()
    assert Developer.objects.filter(pk=ana.pk).exists()


def test_unassigned_page_counts_the_spend_of_daily_reports(client, admin_user):
    from datetime import UTC, datetime
    from decimal import Decimal

    from costdash.ingest.models import UsageAggregate

    bot = Identity.objects.create(source="anthropic", external_id="user_01Bot")
    UsageAggregate.objects.create(key="anthropic_usage:x", source="anthropic_usage", identity=bot,
                                  start=datetime(2026, 5, 4, tzinfo=UTC), width="1d", model="claude-sonnet-4-6",
                                  input_tokens=1_000_000, cost=Decimal("3"))
    client.force_login(admin_user)
    html = client.get(reverse("accounts:unassigned")).content.decode()
    assert "user_01Bot" in html and "$3.00" in html



@pytest.mark.parametrize("duplicate, into", [("²", "{bo}"), ("abc", "{bo}"), ("", "{bo}"), ("{ana}", "٣"),
                                             ("{ana}", "1" * 30), ("{ana}²", "{bo}")])
def test_merge_answers_400_to_an_id_that_is_not_one(client, admin_user, duplicate, into):
    ids = {"ana": Developer.objects.create(email="ana@example.com").pk,
           "bo": Developer.objects.create(email="bo@example.com").pk}
    client.force_login(admin_user)
    data = {"duplicate": duplicate.format(**ids), "into": into.format(**ids)}
    assert client.post(reverse("accounts:merge"), data).status_code == 400
    assert Developer.objects.filter(pk__in=ids.values()).count() == 2
