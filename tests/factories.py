"""factory_boy factories for the models tests need most."""
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
import factory

from costdash.accounts.models import Developer, Team
from costdash.chargeback.rollup import monthly_cost_replace
from costdash.rollups.developer_months import developer_months_rebuild
from costdash.rollups.models import DailyCost, DeveloperDay
from costdash.rollups.org_days import org_days_refresh
from costdash.rollups.services import developer_days_of


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("pw-for-tests-1")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class DeveloperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Developer
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"dev{n}@example.com")
    name = factory.Sequence(lambda n: f"Developer {n}")
    team = factory.SubFactory(TeamFactory)


class DailyCostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DailyCost

    developer = factory.SubFactory(DeveloperFactory)
    day = date(2026, 3, 2)
    model = "claude-sonnet-4-6"
    source = "claude_code_jsonl"
    requests = 10
    sessions = 1
    cost = Decimal("5.00")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """As the recompute does, keep the developer-day's DeveloperDay total in step."""
        row = super()._create(model_class, *args, **kwargs)
        DeveloperDay.objects.filter(developer_id=row.developer_id, day=row.day).delete()
        same_day = DailyCost.objects.filter(developer_id=row.developer_id, day=row.day)
        DeveloperDay.objects.bulk_create(developer_days_of(row.developer_id, same_day))
        developer_months_rebuild(row.developer_id, [row.day])
        org_days_refresh([row.day])  # and the org's day (rollups.org_days)
        monthly_cost_replace(row.developer_id, {row.day.replace(day=1)})  # and its month (chargeback.MonthlyCost)
        return row
