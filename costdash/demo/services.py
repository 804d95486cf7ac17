"""Load the demo team: generate its transcripts, create its people, import through the real import path.

Safe to run twice: people are get-or-create, the import skips files it has already read (and
dedupes every request), and rollups are recomputed rather than added to.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
import secrets
import tempfile

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum

from costdash.accounts.models import Developer, OrgSettings, Team
from costdash.ingest.models import UsageEvent
from costdash.rollups.models import DailyCost

from .team import DemoDeveloper, write_demo_team

ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@example.com"


@dataclass
class DemoLoadResult:
    developers: int = 0
    teams: int = 0
    requests_new: int = 0
    duplicates: int = 0
    rejected: int = 0
    failed_batches: list[str] = field(default_factory=list)
    unpriced_models: set[str] = field(default_factory=set)
    days_recomputed: int = 0
    requests_total: int = 0
    active_days: int = 0  # developer-days with usage
    cost_total: Decimal = Decimal(0)


@transaction.atomic
def demo_people_ensure(developers: list[DemoDeveloper]) -> list[Developer]:
    """Teams, developers and a login per developer (username = the part before @, no usable password)."""
    User = get_user_model()
    rows = []
    for demo in developers:
        team, _ = Team.objects.get_or_create(name=demo.team, defaults={"cost_center": demo.cost_center})
        developer, _ = Developer.objects.update_or_create(
            email=demo.email, defaults={"name": demo.name, "team": team})
        user, created = User.objects.get_or_create(
            username=demo.email.split("@")[0],
            defaults={"email": demo.email, "first_name": demo.name.split()[0], "last_name": demo.name.split()[-1]})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        if developer.user_id is None and not Developer.objects.filter(user=user).exists():
            developer.user = user
            developer.save(update_fields=["user"])
        rows.append(developer)
    return rows


def demo_admin_ensure(password: str | None = None) -> tuple[str, str]:
    """Create the ``admin`` superuser, or reset its password; returns (username, password)."""
    password = password or secrets.token_urlsafe(12)
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=ADMIN_USERNAME, defaults={"email": ADMIN_EMAIL})
    user.email = user.email or ADMIN_EMAIL
    user.is_staff = user.is_superuser = user.is_active = True
    user.set_password(password)
    user.save()
    return user.username, password


DEMO_TIME_ZONE = "America/New_York"


def demo_org_ensure() -> None:
    """The demo team works New York hours: report its days there, unless data already exists
    (then the org's zone was someone's choice, and changing it would move every day)."""
    org = OrgSettings.get()
    if org.time_zone == "UTC" and not UsageEvent.objects.exists():
        org.name, org.time_zone = "Demo team", DEMO_TIME_ZONE
        org.save()


def demo_load(*, end: date, days: int = 60, seed: int = 7,
              each: Callable[[list[DemoDeveloper]], Iterable[DemoDeveloper]] = iter) -> DemoLoadResult:
    """Generate the demo team's transcripts into a temporary folder and import them.

    ``each`` wraps the per-developer import loop (a progress bar, say).
    """
    from costdash.ingest.services import usage_import
    from costdash.rollups.services import daily_cost_recompute_dirty

    result = DemoLoadResult()
    demo_org_ensure()
    with tempfile.TemporaryDirectory(prefix="costdash-demo-") as tmp:
        developers = write_demo_team(Path(tmp), end=end, days=days, seed=seed)
        demo_people_ensure(developers)
        for demo in each(developers):
            batch = usage_import([demo.path], developer_email=demo.email)
            _count(result, demo, batch)
    result.days_recomputed = daily_cost_recompute_dirty()
    emails = [d.email for d in developers]
    result.developers, result.teams = len(developers), len({d.team for d in developers})
    result.requests_total = UsageEvent.objects.filter(developer__email__in=emails).count()
    rollups = DailyCost.objects.filter(developer__email__in=emails)
    result.active_days = rollups.values("developer", "day").distinct().count()
    result.cost_total = rollups.aggregate(total=Sum("cost"))["total"] or Decimal(0)
    return result


def _count(result: DemoLoadResult, demo: DemoDeveloper, batch) -> None:
    result.requests_new += batch.requests_new
    result.duplicates += batch.duplicates
    result.rejected += batch.rejected
    if batch.status != "done":
        result.failed_batches.append(f"{demo.email}: {batch.failure or batch.status}")
    for entry in batch.unpriced_models or []:
        result.unpriced_models.add(entry["model"] if isinstance(entry, dict) else str(entry))
