"""The people named inside imported rows: emails link to developers, other names wait for an admin."""
import pytest

from costdash.accounts.models import Developer, Identity
from costdash.accounts.services import IdentityMap

pytestmark = pytest.mark.django_db


def test_an_email_links_to_the_developer_with_that_email():
    ana = Developer.objects.create(email="ana@example.com")
    identity_id, developer_id = IdentityMap().resolve("litellm_spendlogs", "Ana@Example.com")
    assert developer_id == ana.pk
    assert Identity.objects.get(pk=identity_id).external_id == "Ana@Example.com"


def test_a_new_email_becomes_a_developer_and_other_names_wait_unassigned():
    _, developer_id = IdentityMap().resolve("otel", "uuid-123", email="bo@example.com")
    assert Developer.objects.get(pk=developer_id).email == "bo@example.com"
    identity_id, developer_id = IdentityMap().resolve("litellm_spendlogs", "key-alias-ci")
    assert developer_id is None and Identity.objects.get(pk=identity_id).developer is None


def test_an_admins_mapping_wins_and_names_are_resolved_once():
    carol = Developer.objects.create(email="carol@example.com")
    Identity.objects.create(source="litellm", external_id="ci-bot@example.com", developer=carol)
    identities = IdentityMap()
    assert identities.resolve("litellm_spendlogs", "ci-bot@example.com")[1] == carol.pk
    Identity.objects.all().delete()  # the answer is cached for the rest of the import
    assert identities.resolve("litellm_spendlogs", "ci-bot@example.com")[1] == carol.pk
    assert not Developer.objects.filter(email="ci-bot@example.com").exists()


def _event(key, identity, developer, ts="2026-03-02T10:00:00+00:00", cost="1.50"):
    from decimal import Decimal

    from costdash.ingest.models import UsageEvent

    return UsageEvent.objects.create(
        dedupe_key=key, source="litellm_spendlogs", identity=identity, developer=developer, timestamp=ts,
        model="claude-sonnet-4-6", output_tokens=10, cost=Decimal(cost),
    )


def test_assigning_an_identity_moves_its_past_and_the_rollups_follow():
    from decimal import Decimal

    from costdash.accounts.services import identity_assign
    from costdash.rollups.models import DailyCost
    from costdash.rollups.services import daily_cost_recompute_dirty

    bot = Identity.objects.create(source="litellm", external_id="key-alias-ci")
    _event("litellm:1", bot, None)
    _event("litellm:2", bot, None, ts="2026-03-03T10:00:00+00:00", cost="2.25")
    daily_cost_recompute_dirty()
    assert not DailyCost.objects.exists()  # unassigned usage belongs to nobody's rollup yet
    dana = Developer.objects.create(email="dana@example.com")
    assert identity_assign(bot, dana) == 2
    daily_cost_recompute_dirty()
    assert sorted(DailyCost.objects.filter(developer=dana).values_list("day", "cost")) == [
        (__import__("datetime").date(2026, 3, 2), Decimal("1.50")),
        (__import__("datetime").date(2026, 3, 3), Decimal("2.25")),
    ]
    erin = Developer.objects.create(email="erin@example.com")
    identity_assign(bot, erin)  # re-mapping moves the past again, and dana's days empty out
    daily_cost_recompute_dirty()
    assert not DailyCost.objects.filter(developer=dana).exists()
    assert DailyCost.objects.filter(developer=erin).count() == 2


def test_merging_two_developers_moves_identities_events_and_login():
    from costdash.accounts.services import developers_merge
    from costdash.rollups.models import DailyCost
    from costdash.rollups.services import daily_cost_recompute_dirty
    from tests.factories import UserFactory

    old = Developer.objects.create(email="ana@old.example.com", user=UserFactory(username="ana"))
    new = Developer.objects.create(email="ana@example.com")
    ident = Identity.objects.create(source="anthropic", external_id="ana@old.example.com", developer=old)
    _event("otel:1", ident, old)
    daily_cost_recompute_dirty()
    assert developers_merge(old, new) == 1
    daily_cost_recompute_dirty()
    new.refresh_from_db()
    assert new.user.username == "ana" and not Developer.objects.filter(pk=old.pk).exists()
    assert Identity.objects.get(pk=ident.pk).developer == new
    assert DailyCost.objects.get().developer == new


def test_prefetch_settles_mapped_names_in_one_query(django_assert_num_queries):
    ana = Developer.objects.create(email="ana@example.com")
    for name in ("key-a", "key-b"):
        Identity.objects.create(source="anthropic", external_id=name, developer=ana)
    identities = IdentityMap()
    with django_assert_num_queries(1):
        identities.prefetch("otel", {"key-a", "key-b", "key-new"})
        assert identities.resolve("otel", "key-a")[1] == ana.pk and identities.resolve("otel", "key-b")[1] == ana.pk
    assert identities.resolve("otel", "key-new")[1] is None  # new names still take the full path
