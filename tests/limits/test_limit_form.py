"""Adding and changing limits: validation, one org limit, one per workspace, who changed it."""
from decimal import Decimal

import pytest

from costdash.limits.forms import MonthForm, SpendLimitForm
from costdash.limits.models import ORG_LIMIT_EXISTS, WORKSPACE_LIMIT_EXISTS, SpendLimit
from costdash.limits.services import limit_save
from tests.limits.conftest import MARCH_10, org_limit, workspace_limit

pytestmark = pytest.mark.django_db


def form(**overrides) -> SpendLimitForm:
    data = {"scope": "org", "workspace": "", "amount": "500", "warning_share": "0.8", "note": ""}
    data.update(overrides)
    return SpendLimitForm(data)


@pytest.mark.parametrize("amount", ["0", "-5", "0.00"])
def test_amount_must_be_more_than_zero(amount):
    f = form(amount=amount)
    assert not f.is_valid()
    assert f.errors["amount"] == ["The monthly limit must be more than $0."]


@pytest.mark.parametrize("share", ["0", "1", "1.5", "-0.2"])
def test_share_must_be_strictly_between_0_and_1(share):
    f = form(warning_share=share)
    assert not f.is_valid()
    assert "between 0 and 1" in f.errors["warning_share"][0]


def test_a_valid_org_limit_is_saved_with_who_made_it(admin_user):
    f = form(amount="1234.50", warning_share="0.75", note="Q2 budget", workspace="typed by mistake")
    assert f.is_valid(), f.errors
    limit = limit_save(f, admin_user)
    limit.refresh_from_db()
    assert (limit.scope, limit.workspace, limit.amount, limit.warning_share) == (
        "org", "", Decimal("1234.50"), Decimal("0.750"))
    assert limit.created_by == admin_user and limit.updated_by == admin_user and limit.note == "Q2 budget"
    assert limit.warning_percent == "75%"


def test_editing_records_the_editor_and_keeps_the_creator(admin_user, billing_user):
    limit = org_limit("100")
    limit.created_by = billing_user  # whoever made it first
    limit.save()
    f = SpendLimitForm({"scope": "org", "amount": "200", "warning_share": "0.9"}, instance=limit)
    assert f.is_valid(), f.errors
    limit_save(f, admin_user)
    limit.refresh_from_db()
    assert (limit.amount, limit.created_by, limit.updated_by) == (Decimal("200.00"), billing_user, admin_user)


def test_a_second_org_limit_is_refused():
    org_limit("100")
    f = form()
    assert not f.is_valid()
    assert f.non_field_errors() == [ORG_LIMIT_EXISTS]
    assert SpendLimit.objects.count() == 1


def test_a_second_limit_on_one_workspace_is_refused_but_another_workspace_is_fine():
    workspace_limit("wrkspc_A", "100")
    f = form(scope="workspace", workspace="wrkspc_A")
    assert not f.is_valid() and f.non_field_errors() == [WORKSPACE_LIMIT_EXISTS]
    assert form(scope="workspace", workspace="wrkspc_B").is_valid()
    assert form(scope="org").is_valid()  # the org limit is separate from workspace ones


def test_a_workspace_limit_names_its_workspace():
    f = form(scope="workspace", workspace="  ")
    assert not f.is_valid() and f.errors["workspace"] == ["Name the workspace this limit is for."]


def test_two_admins_adding_the_org_limit_at_once_get_one(admin_user):
    first = form()
    assert first.is_valid()  # validated before the other admin's limit lands
    org_limit("999")
    assert limit_save(first, admin_user) is None
    assert first.non_field_errors() == [ORG_LIMIT_EXISTS]
    assert SpendLimit.objects.get().amount == Decimal("999")


@pytest.mark.parametrize(
    "value, month, error",
    [
        ("", "2026-03-01", None),
        ("2026-01", "2026-01-01", None),
        ("2026-03", "2026-03-01", None),
        ("2026-04", "2026-03-01", "April 2026 has not started yet."),
        ("March", "2026-03-01", "“March” is not a month: use YYYY-MM, e.g. 2026-03."),
        ("2026-13", "2026-03-01", "“2026-13” is not a month: use YYYY-MM, e.g. 2026-03."),
    ],
)
def test_month_picker(value, month, error):
    f = MonthForm({"month": value}, today=MARCH_10)
    assert f.first_day().isoformat() == month
    assert f.errors.get("month") == ([error] if error else None)
