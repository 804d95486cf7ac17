"""``demo_load`` fills the database through the real import, and running it twice changes nothing."""
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Sum
import pytest

from costdash.accounts.models import Developer, OrgSettings, Team
from costdash.ingest.models import UsageEvent
from costdash.rollups.models import DailyCost

pytestmark = pytest.mark.django_db


def _load(password: str = "demo-admin-pw-1") -> str:
    out = StringIO()
    call_command("demo_load", "--days", "7", "--end", "2026-05-15", "--admin-password", password,
                 stdout=out, stderr=StringIO())
    return out.getvalue()


def _counts() -> dict:
    return {
        "teams": Team.objects.count(),
        "developers": Developer.objects.count(),
        "users": get_user_model().objects.count(),
        "events": UsageEvent.objects.count(),
        "daily_costs": DailyCost.objects.count(),
        "spend": DailyCost.objects.aggregate(total=Sum("cost"))["total"],
    }


def test_demo_load_creates_the_team_its_usage_and_rollups():
    output = _load()
    assert Developer.objects.filter(team__isnull=False).count() >= 12
    assert Team.objects.count() >= 3 and Team.objects.exclude(cost_center="").exists()
    assert UsageEvent.objects.count() > 1000
    assert DailyCost.objects.filter(cost__gt=0).exists()
    # Every demo developer can be given a login: linked, but with no usable password.
    for developer in Developer.objects.all():
        assert developer.user is not None and not developer.user.has_usable_password()
        assert developer.user.username == developer.email.split("@")[0]
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password("demo-admin-pw-1")
    assert "Admin login: username 'admin', password 'demo-admin-pw-1'" in output
    assert "14 developers" in output and "total spend" in output
    assert OrgSettings.get().time_zone == "America/New_York"  # the demo team's working hours


def test_running_demo_load_twice_doubles_nothing():
    _load()
    before = _counts()
    output = _load(password="another-pw-2")
    assert _counts() == before
    assert "(0 new this run)" in output
    assert get_user_model().objects.get(username="admin").check_password("another-pw-2")


def test_a_random_admin_password_is_printed_when_none_is_given():
    out = StringIO()
    call_command("demo_load", "--days", "1", "--end", "2026-05-13", stdout=out, stderr=StringIO())
    password = out.getvalue().split("password '")[1].split("'")[0]
    assert len(password) >= 12 and get_user_model().objects.get(username="admin").check_password(password)
