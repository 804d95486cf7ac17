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
    Identity.objects.create(source="litellm_spendlogs", external_id="ci-bot@example.com", developer=carol)
    identities = IdentityMap()
    assert identities.resolve("litellm_spendlogs", "ci-bot@example.com")[1] == carol.pk
    Identity.objects.all().delete()  # the answer is cached for the rest of the import
    assert identities.resolve("litellm_spendlogs", "ci-bot@example.com")[1] == carol.pk
    assert not Developer.objects.filter(email="ci-bot@example.com").exists()
