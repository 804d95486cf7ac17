"""The API's fixtures: tests/team_usage.py's team (Ana, the developer persona, and Bo) ending today,
so the default range (the last 30 days) holds all of it but Ana's day -2 is still inside; Bo linked
to a login of his own; API clients that authenticate with a token."""
from datetime import timedelta

from django.contrib.auth.models import Group
import pytest
from rest_framework.test import APIClient

from costdash.accounts.models import Developer
from costdash.alerts.models import AlertEvent, AlertRule
from costdash.api.services import api_token_create
from costdash.dashboard.filters import org_today
from tests.factories import UserFactory
from tests.team_usage import team_usage


@pytest.fixture
def team(developer_user):
    """{"ana", "bo", "day", "base"}: day(19) is the org's today."""
    base = org_today() - timedelta(days=19)
    found = team_usage(Developer.objects.get(user=developer_user), base)
    return found | {"base": base}


@pytest.fixture
def bo_user(team):
    """A developer login linked to Bo: another developer than the persona."""
    user = UserFactory(username="bo")
    Developer.objects.filter(pk=team["bo"].pk).update(user=user)
    return user


@pytest.fixture
def api_as():
    """api_as(user) -> an APIClient sending that user's new API token as a Bearer header."""
    def client_for(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='tests')[1]}")
        return client
    return client_for


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def in_group(user, name: str):
    user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def default_alert(team):
    """An open alert about Ana (the developer persona) from a daily ceiling rule."""
    rule = AlertRule.objects.create(kind="daily_ceiling", name="Ceiling", threshold=30)
    return AlertEvent.objects.create(rule=rule, subject_key=f"developer:{team['ana'].pk}", day=team["day"](2),
                                     developer=team["ana"], figure=31, threshold=30, summary="Ana spent $31.00.",
                                     link=f"/developers/{team['ana'].pk}/")
