"""The Prices page (costdash.pricing.views): billing reads, admins add, correct and delete their rows; the rate
file's rows stay read-only. A change made there reprices the model's events and recomputes their days exactly as
saving the row in the Django admin does (both go through costdash.pricing.services), and is in the audit trail
as the signed-in admin's.

Costs below are worked out by hand from the posted prices (USD per million tokens) and the imported tokens."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
import pytest

from costdash.ingest.models import UsageEvent
from costdash.ingest.services import usage_import
from costdash.pricing.models import ModelPrice
from costdash.pricing.services import rate_table
from costdash.rollups.models import DailyCost, DirtyDay
from costdash.rollups.services import daily_cost_recompute_dirty
from tests.ingest.transcripts import assistant_line, write_jsonl

pytestmark = pytest.mark.django_db

MYSTERY = "claude-mystery-9"  # no row in rates.toml: unpriced until someone adds one
PRICE = {"model": MYSTERY, "speed": "standard", "min_input_tokens": "0", "effective_from": "", "effective_until": "",
         "input": "2", "cache_write_5m": "2.5", "cache_write_1h": "4", "cache_read": "0.2", "output": "10",
         "us_multiplier": "1", "confidence": "verified", "note": "from the invoice"}
MARCH_5, MARCH_6 = date(2026, 3, 5), date(2026, 3, 6)
# 2026-03-05: 1,000 input x $2 + 2,000 output x $10 + 10,000 cache read x $0.20 = 0.002 + 0.02 + 0.002 = 0.024;
#             100,000 output x $10 = 1.00                                                    day: 1.024
# 2026-03-06: 4 input x $2 + 500 output x $10 + 1,000 read x $0.20 + 2,000 1h write x $4
#             = 0.000008 + 0.005 + 0.0002 + 0.008                                            day: 0.013208
PRICED = {MARCH_5: D("1.024"), MARCH_6: D("0.013208")}
# The same with output at $20: + 0.02 + 1.00 on the 5th, + 0.005 on the 6th.
PRICED_AT_20 = {MARCH_5: D("2.044"), MARCH_6: D("0.018208")}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")


@pytest.fixture
def usage(tmp_path, developer_user):
    """Ana's three requests of the unpriced model over two days, and one of a priced model."""
    lines = [
        assistant_line(msg="m1", req="r1", ts="2026-03-05T10:00:00Z", model=MYSTERY, input_tokens=1000, output=2000,
                       read=10_000),
        assistant_line(msg="m2", req="r2", ts="2026-03-05T11:00:00Z", model=MYSTERY, input_tokens=0, output=100_000,
                       read=0),
        assistant_line(msg="m3", req="r3", ts="2026-03-06T09:00:00Z", model=MYSTERY, input_tokens=4, output=500,
                       read=1000, write_1h=2000),
        assistant_line(msg="m4", req="r4", ts="2026-03-05T12:00:00Z"),  # claude-sonnet-4-6, priced by the file
    ]
    batch = usage_import([write_jsonl(tmp_path / "ana.jsonl", lines)], developer_email="ana@example.com")
    assert batch.status == "done" and batch.requests_new == 4
    daily_cost_recompute_dirty()  # the import queues it once committed; the test's transaction never commits
    assert set(UsageEvent.objects.filter(model=MYSTERY).values_list("cost", flat=True)) == {None}
    sonnet = DailyCost.objects.get(model="claude-sonnet-4-6").cost
    return sonnet


def mystery_days() -> dict:
    return {row.day: (row.cost, row.unpriced_requests) for row in DailyCost.objects.filter(model=MYSTERY)}


def price_entries(**filters) -> list[LogEntry]:
    return list(LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(ModelPrice), **filters)
                .order_by("pk"))


# ------------------------------------------------------------------ who reads, who writes


def test_billing_reads_the_prices_but_changes_none(billing_user):
    client = client_for(billing_user)
    page = client.get("/prices/").content.decode()
    assert "claude-sonnet-4-6" in page and "rate file" in page
    assert "/prices/new/" not in page and "Override" not in page  # no way to change them
    assert client.get("/prices/new/").status_code == 403
    assert client.post("/prices/new/", PRICE).status_code == 403
    assert not ModelPrice.objects.filter(model=MYSTERY).exists()


def test_developers_see_no_prices_page(developer_user):
    assert client_for(developer_user).get("/prices/").status_code == 403


def test_the_model_filter_narrows_the_rows(billing_user):
    page = client_for(billing_user).get("/prices/?model=opus").content.decode()
    assert "claude-opus" in page and "claude-sonnet-4-6" not in page


def test_rate_file_rows_are_read_only_on_the_page(admin_user):
    client = client_for(admin_user)
    row = ModelPrice.objects.filter(from_rate_file=True, model="claude-sonnet-4-6").first()
    before = (row.input, row.output)
    assert client.get(f"/prices/{row.pk}/").status_code == 403
    assert client.post(f"/prices/{row.pk}/", PRICE | {"model": row.model, "input": "99"}).status_code == 403
    assert client.post(f"/prices/{row.pk}/delete/").status_code == 403
    row.refresh_from_db()
    assert (row.input, row.output) == before
    # "Override" starts a new row from the file row's figures.
    form = client.get(f"/prices/new/?copy={row.pk}").content.decode()
    assert 'value="claude-sonnet-4-6"' in form and f'value="{row.output}"' in form


def test_overriding_a_rate_file_row_prices_requests_by_the_admins_row(admin_user):
    """"Override" on a file row that applies always: the copy saved with a new output price wins over the file's."""
    file_row = ModelPrice.objects.get(model="claude-sonnet-4-6", speed="standard", min_input_tokens=0,
                                      effective_from=None, from_rate_file=True)
    day = date(2026, 3, 5)
    assert rate_table().lookup("claude-sonnet-4-6", day, "standard", 1000).output == file_row.output
    client = client_for(admin_user)
    form = client.get(f"/prices/new/?copy={file_row.pk}").context["form"]
    posted = {name: "" if value is None else str(value) for name, value in form.initial.items()}
    response = client.post("/prices/new/", posted | {"output": "99", "note": "our negotiated rate"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ModelPrice.objects.filter(model="claude-sonnet-4-6", min_input_tokens=0, effective_from=None).count() == 2
    assert rate_table().lookup("claude-sonnet-4-6", day, "standard", 1000).output == D("99")
    file_row.refresh_from_db()
    assert file_row.output != D("99")  # the file's row is as it was


def test_an_invalid_row_is_refused_with_the_rate_tables_reason(admin_user):
    response = client_for(admin_user).post("/prices/new/", PRICE | {"effective_from": "2026-02-01",
                                                                     "effective_until": "2026-01-01"})
    assert response.status_code == 200 and not ModelPrice.objects.filter(model=MYSTERY).exists()
    assert "effective_from must be before effective_until" in response.content.decode()


def test_a_dated_model_id_is_stored_as_its_lookup_key(admin_user):
    response = client_for(admin_user).post("/prices/new/", PRICE | {"model": "claude-3-5-sonnet-20241022"})
    assert response.status_code == 302
    assert ModelPrice.objects.get(model="claude-3-5-sonnet").from_rate_file is False
    assert "claude-3-5-sonnet" in rate_table().known_models()  # the cached table was dropped


# ------------------------------------------------------------------ repricing, as the Django admin does


@pytest.mark.parametrize("where", ["page", "django admin"])
def test_adding_a_price_reprices_its_events_and_recomputes_their_days(where, usage, admin_user, superuser,
                                                                      django_capture_on_commit_callbacks):
    sonnet_before = usage
    assert mystery_days() == {MARCH_5: (D(0), 2), MARCH_6: (D(0), 1)}  # unpriced: flagged, never $0 counted
    user, url = (admin_user, "/prices/new/") if where == "page" else (superuser, "/admin/pricing/modelprice/add/")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(url, PRICE)
    assert response.status_code == 302, response.content.decode()[:2000]
    costs = dict(UsageEvent.objects.filter(model=MYSTERY).values_list("request_id", "cost"))
    assert costs == {"r1": D("0.024"), "r2": D("1.00"), "r3": D("0.013208")}
    assert mystery_days() == {day: (cost, 0) for day, cost in PRICED.items()}
    assert DailyCost.objects.get(model="claude-sonnet-4-6").cost == sonnet_before  # another model: untouched
    assert not DirtyDay.objects.exists()
    (entry,) = price_entries(action=LogEntry.Action.CREATE)
    assert entry.actor == user and entry.changes["output"] == [None, "10.00"]


def test_correcting_and_deleting_a_row_reprices_again(usage, admin_user, django_capture_on_commit_callbacks):
    client = client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/prices/new/", PRICE)
    row = ModelPrice.objects.get(model=MYSTERY)
    page = client.get("/prices/").content.decode()
    assert f'href="/prices/{row.pk}/"' in page and f'href="/prices/{row.pk}/delete/"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/prices/{row.pk}/", PRICE | {"output": "20"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert mystery_days() == {day: (cost, 0) for day, cost in PRICED_AT_20.items()}
    (changed,) = price_entries(action=LogEntry.Action.UPDATE)
    assert changed.actor == admin_user and changed.changes == {"output": ["10.00", "20.00"]}

    assert client.get(f"/prices/{row.pk}/delete/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/prices/{row.pk}/delete/").status_code == 302
    assert not ModelPrice.objects.filter(model=MYSTERY).exists()
    assert set(UsageEvent.objects.filter(model=MYSTERY).values_list("cost", flat=True)) == {None}  # never $0
    assert mystery_days() == {MARCH_5: (D(0), 2), MARCH_6: (D(0), 1)}
    (deleted,) = price_entries(action=LogEntry.Action.DELETE)
    assert deleted.actor == admin_user


def test_a_row_moved_to_another_model_reprices_both(usage, admin_user, django_capture_on_commit_callbacks):
    client = client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/prices/new/", PRICE)
    row = ModelPrice.objects.get(model=MYSTERY)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/prices/{row.pk}/", PRICE | {"model": "claude-other-1"}).status_code == 302
    # The mystery model has no price again: its requests are unpriced, not left at the old price.
    assert set(UsageEvent.objects.filter(model=MYSTERY).values_list("cost", flat=True)) == {None}
    assert mystery_days() == {MARCH_5: (D(0), 2), MARCH_6: (D(0), 1)}


def test_a_second_row_with_the_same_key_is_refused(admin_user):
    client = client_for(admin_user)
    dated = PRICE | {"effective_from": "2026-03-01"}
    assert client.post("/prices/new/", dated).status_code == 302
    response = client.post("/prices/new/", dated | {"output": "11"})
    assert response.status_code == 200 and ModelPrice.objects.filter(model=MYSTERY).count() == 1
    assert "already exists" in response.content.decode()
