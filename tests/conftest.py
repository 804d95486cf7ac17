"""Personas (admin, billing, developer, outsider) and shared fixtures.

Tests run against the real PostgreSQL (DATABASE_URL) that `make test` points at.
Celery tasks run in-process here; tests marked `integration` start a real worker on Redis.
"""
import os
from pathlib import Path

from django.contrib.auth.models import Group
import pytest

from tests.factories import DeveloperFactory, UserFactory
import tests.fuzz.budget  # noqa: F401  Hypothesis' profiles and its folder (var/, not .hypothesis/) for every test

# shared/ sits beside the checkout (as in CI); COSTDASH_SHARED_DIR points elsewhere.
SHARED = Path(os.environ.get("COSTDASH_SHARED_DIR") or Path(__file__).resolve().parent.parent.parent / "shared")
SAMPLES = SHARED / "samples"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests only


@pytest.fixture(autouse=True, scope="session")
def _every_task_registered():
    """Import every app's tasks module once, before any test: a task module first imported after a test
    has re-pointed the app at another broker (tests.celery_workers.use_broker_settings) was found
    missing from the registry (NotRegistered) in some test orders. Production imports them on demand."""
    from costdash.celery import app

    app.autodiscover_tasks(force=True)


@pytest.fixture(autouse=True)
def _eager_celery_and_fresh_prices(settings):
    from costdash.celery import app
    from costdash.pricing.services import rate_table_invalidate

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    rate_table_invalidate()  # a test that adds a price must not leak it into the next test
    yield
    rate_table_invalidate()


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.fail(f"sample files not found at {SAMPLES}: put shared/ beside the checkout or set COSTDASH_SHARED_DIR")
    return SAMPLES


def _user_in_group(username: str, group: str | None, superuser: bool = False):
    user = UserFactory(username=username, is_superuser=superuser, is_staff=superuser)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def admin_user(db):
    return _user_in_group("admin", "admin")


@pytest.fixture
def billing_user(db):
    return _user_in_group("billing", "billing")


@pytest.fixture
def developer_user(db):
    user = _user_in_group("ana", None)
    DeveloperFactory(email="ana@example.com", name="Ana", user=user)
    return user


@pytest.fixture
def outsider_user(db):
    """Logged in, but linked to no developer: sees no one's usage."""
    return _user_in_group("outsider", None)
