"""rates.toml matches pricing.md; the sync into ModelPrice is idempotent and spares admin rows."""
from datetime import date
from decimal import Decimal

from django.core.management import call_command
import pytest

from costdash.pricing.models import ModelPrice
from costdash.pricing.rates import PRICE_FIELDS, RateTable, read_rate_file
from costdash.pricing.services import (
    pricing_sync_rate_file,
    pricing_sync_rate_file_report,
    rate_table,
    rate_table_invalidate,
)

D = Decimal
PARSED = read_rate_file()
TABLE = RateTable(PARSED.rates, PARSED.fees)

# pricing.md "Base rates": (input, 5m write, 1h write, cache read, output) per MTok.
OPUS_4 = ("15", "18.75", "30", "1.50", "75")
OPUS_45 = ("5", "6.25", "10", "0.50", "25")
SONNET = ("3", "3.75", "6", "0.30", "15")
SONNET_5 = ("2", "2.50", "4", "0.20", "10")
FABLE_5 = ("10", "12.50", "20", "1.00", "50")
FABLE_51 = ("10", "12.50", "20", "0.25", "50")
# Every API id pricing.md lists, with a day it was on sale, and its base (<=threshold, standard) rates.
MODELS = [
    ("claude-3-opus-20240229", date(2025, 6, 1), OPUS_4),
    ("claude-opus-4-20250514", date(2025, 6, 1), OPUS_4),
    ("claude-opus-4-1", date(2025, 9, 1), OPUS_4),
    ("claude-opus-4-1-20250805", date(2025, 9, 1), OPUS_4),
    ("claude-opus-4-5", date(2025, 12, 1), OPUS_45),
    ("claude-opus-4-5-20251101", date(2025, 12, 1), OPUS_45),
    ("claude-opus-4-6", date(2026, 2, 10), OPUS_45),
    ("claude-opus-4-7", date(2026, 5, 1), OPUS_45),
    ("claude-opus-4-8", date(2026, 8, 1), OPUS_45),
    ("claude-opus-5", date(2026, 9, 1), OPUS_45),
    ("claude-opus-5-5", date(2026, 11, 1), ("4", "5", "8", "0.20", "20")),
    ("claude-3-7-sonnet-20250219", date(2025, 6, 1), SONNET),
    ("claude-sonnet-4-20250514", date(2025, 6, 1), SONNET),
    ("claude-sonnet-4-5", date(2025, 10, 1), SONNET),
    ("claude-sonnet-4-5-20250929", date(2025, 10, 1), SONNET),
    ("claude-sonnet-4-6", date(2026, 2, 20), SONNET),
    ("claude-sonnet-5", date(2026, 9, 1), SONNET_5),
    ("claude-sonnet-5-5", date(2026, 10, 1), SONNET_5),
    ("claude-3-haiku-20240307", date(2025, 6, 1), ("0.25", "0.30", "0.50", "0.03", "1.25")),
    ("claude-3-5-haiku-20241022", date(2025, 6, 1), ("0.80", "1.00", "1.60", "0.08", "4")),
    ("claude-haiku-4-5", date(2025, 11, 1), ("1", "1.25", "2", "0.10", "5")),
    ("claude-haiku-4-5-20251001", date(2025, 11, 1), ("1", "1.25", "2", "0.10", "5")),
    ("claude-haiku-5-5", date(2026, 10, 8), ("0.10", "0.125", "0.20", "0.01", "0.50")),
    ("claude-fable-5", date(2026, 10, 1), FABLE_5),
    ("claude-mythos-5", date(2026, 10, 1), FABLE_5),
    ("claude-fable-5-1", date(2026, 11, 1), FABLE_51),
    ("claude-mythos-5-1", date(2026, 11, 1), FABLE_51),
]
# "Opus 4.6 and newer models" get x1.1 for US-only inference; older ones reject the parameter (x1.0).
US_MODELS = {
    "claude-opus-4-6", "claude-sonnet-4-6", "claude-opus-4-7", "claude-opus-4-8", "claude-opus-5",
    "claude-opus-5-5", "claude-sonnet-5", "claude-sonnet-5-5", "claude-haiku-5-5",
    "claude-fable-5", "claude-mythos-5", "claude-fable-5-1", "claude-mythos-5-1",
}


@pytest.fixture(autouse=True)
def _fresh_rate_table():
    """DB tests add rows inside a rolled-back transaction: never let a cached table outlive them."""
    rate_table_invalidate()
    yield
    rate_table_invalidate()


# ------------------------------------------------------------------ the file itself


def test_file_parses_with_fees():
    assert PARSED.version
    assert PARSED.fees.web_search_per_request == D("0.01")  # $10 / 1,000
    assert PARSED.fees.batch_multiplier == D("0.5")
    assert len(PARSED.rates) == 35


def test_every_row_is_complete_and_positive():
    for rate in PARSED.rates:
        for name in PRICE_FIELDS:
            value = getattr(rate, name)
            assert isinstance(value, Decimal) and value > 0, (rate.key, name)
        assert rate.confidence in ("verified", "partial", "unverified"), rate.key
        assert len(rate.note) <= 300, rate.key  # ModelPrice.note max_length


@pytest.mark.parametrize("raw, day, expected", MODELS)
def test_every_listed_model_resolves_to_its_rates(raw, day, expected):
    rate = TABLE.lookup(raw, day, "standard", 1_000)
    assert rate is not None, raw
    assert tuple(getattr(rate, name) for name in PRICE_FIELDS) == tuple(D(v) for v in expected)


def test_us_multiplier_for_opus_4_6_and_newer_only():
    for rate in PARSED.rates:
        assert rate.us_multiplier == (D("1.1") if rate.model in US_MODELS else 1), rate.key


def test_first_row_of_each_model_has_an_open_start():
    # Retirement never ends a price: historic usage and Bedrock/Vertex still need one.
    for model in TABLE.known_models():
        base = [r for r in PARSED.rates if r.model == model and r.speed == "standard" and r.min_input_tokens == 0]
        assert any(r.effective_from is None for r in base), model


def test_long_context_and_fast_rows():
    def row(model, day, speed, total):
        r = TABLE.lookup(model, day, speed, total)
        return tuple(getattr(r, name) for name in PRICE_FIELDS)

    tier_6 = tuple(D(v) for v in ("6", "7.50", "12", "0.60", "22.50"))
    assert row("claude-sonnet-4", date(2025, 9, 1), "standard", 200_001) == tier_6
    assert row("claude-sonnet-4-5", date(2025, 10, 1), "standard", 200_001) == tier_6
    assert row("claude-sonnet-4-6", date(2026, 3, 13), "standard", 200_001) == tier_6
    assert row("claude-opus-4-6", date(2026, 3, 13), "standard", 200_001) == tuple(
        D(v) for v in ("10", "12.50", "20", "1.00", "37.50"))
    assert row("claude-opus-4-6", date(2026, 2, 8), "fast", 1) == tuple(D(v) for v in ("30", "37.50", "60", "3", "150"))
    assert row("claude-opus-4-6", date(2026, 2, 18), "fast", 200_001) == tuple(
        D(v) for v in ("60", "75", "120", "6", "225"))
    assert row("claude-opus-5", date(2026, 9, 1), "fast", 1) == tuple(D(v) for v in ("10", "12.50", "20", "1", "50"))
    assert row("claude-haiku-5-5", date(2026, 10, 8), "standard", 100_001) == tuple(
        D(v) for v in ("0.50", "0.625", "1.00", "0.05", "2.50"))
    six_x = TABLE.lookup("claude-opus-4-6", date(2026, 2, 8), "fast", 1)
    assert six_x.effective_until == date(2026, 8, 1) and "unknown" in six_x.note


@pytest.mark.parametrize(
    "body, message",
    [
        ('[[rate]]\nmodel="x"\ninput=1\ncache_write_5m=1\ncache_write_1h=1\ncache_read=1\noutput=1\ncolour=1\n', "unknown"),
        ('[[rate]]\nmodel="x"\ninput=1\ncache_write_5m=1\ncache_write_1h=1\noutput=1\n', "missing"),
        ('[[rate]]\nmodel="x"\nspeed="turbo"\ninput=1\ncache_write_5m=1\ncache_write_1h=1\ncache_read=1\noutput=1\n', "speed"),
        ('[[rate]]\nmodel="x"\neffective_from=2026-02-01\neffective_until=2026-01-01\n'
         'input=1\ncache_write_5m=1\ncache_write_1h=1\ncache_read=1\noutput=1\n', "before"),
        ('[[rate]]\nmodel="x"\ninput=1\ncache_write_5m=1\ncache_write_1h=1\ncache_read=1\noutput=1\n' * 2, "two rows"),
    ],
)
def test_bad_rate_files_are_refused(tmp_path, body, message):
    path = tmp_path / "rates.toml"
    path.write_text(body)
    with pytest.raises(ValueError, match=message):
        read_rate_file(path)


# ------------------------------------------------------------------ sync into ModelPrice


def _snapshot():
    return sorted(ModelPrice.objects.values_list(
        "id", "model", "speed", "min_input_tokens", "effective_from", "effective_until",
        *PRICE_FIELDS, "us_multiplier", "confidence", "note", "from_rate_file"), key=lambda r: r[0])


def test_migrate_already_loaded_the_file(db):
    assert ModelPrice.objects.filter(from_rate_file=True).count() == len(PARSED.rates)


def test_sync_is_idempotent(db):
    ModelPrice.objects.all().delete()
    assert pricing_sync_rate_file() == len(PARSED.rates)
    first = _snapshot()
    assert pricing_sync_rate_file() == 0  # run twice: nothing changes
    assert pricing_sync_rate_file_report().unchanged == len(PARSED.rates)
    assert _snapshot() == first


def test_null_effective_from_matches_null(db):
    # NULLs are distinct to the unique constraint, so only the sync's own matching prevents duplicates.
    pricing_sync_rate_file()
    assert ModelPrice.objects.filter(model="claude-sonnet-4-6", speed="standard", min_input_tokens=0).count() == 1


def test_sync_reverts_edits_to_file_rows(db):
    ModelPrice.objects.filter(model="claude-opus-5", speed="standard").update(input=D("99"), note="edited")
    result = pricing_sync_rate_file_report()
    assert (result.added, result.updated) == (0, 1)
    assert ModelPrice.objects.get(model="claude-opus-5", speed="standard").input == 5


def test_admin_row_survives_sync(db):
    admin_row = ModelPrice.objects.create(
        model="claude-3-5-sonnet", input=3, cache_write_5m=D("3.75"), cache_write_1h=6,
        cache_read=D("0.30"), output=15, confidence="partial", note="added by an admin",
    )
    assert pricing_sync_rate_file() == 0
    admin_row.refresh_from_db()
    assert admin_row.input == 3 and not admin_row.from_rate_file


def test_sync_removes_file_rows_that_left_the_file_but_not_admin_rows(db, tmp_path):
    ModelPrice.objects.create(model="claude-custom", input=1, cache_write_5m=1, cache_write_1h=1, cache_read=1, output=1)
    small = tmp_path / "rates.toml"
    small.write_text('[[rate]]\nmodel="claude-opus-5"\ninput=5\ncache_write_5m=6.25\ncache_write_1h=10\n'
                     'cache_read=0.50\noutput=25\nus_multiplier=1.1\nconfidence="verified"\n')
    result = pricing_sync_rate_file_report(small)
    assert result.removed == len(PARSED.rates) - 1
    assert set(ModelPrice.objects.values_list("model", flat=True)) == {"claude-opus-5", "claude-custom"}


def test_admin_row_holding_a_file_key_is_left_alone(db):
    ModelPrice.objects.filter(model="claude-opus-5-5").delete()
    ModelPrice.objects.create(model="claude-opus-5-5", input=4, cache_write_5m=5, cache_write_1h=8,
                              cache_read=D("0.40"), output=20, note="admin's own guess")
    result = pricing_sync_rate_file_report()
    assert result.shadowed == 1 and result.added == 0
    row = ModelPrice.objects.get(model="claude-opus-5-5")
    assert row.cache_read == D("0.40") and not row.from_rate_file


def test_rate_table_from_db_sees_admin_rows_after_invalidate(db):
    assert "claude-3-5-sonnet" not in rate_table().known_models()
    ModelPrice.objects.create(model="claude-3-5-sonnet", input=3, cache_write_5m=D("3.75"), cache_write_1h=6,
                              cache_read=D("0.30"), output=15)
    rate_table_invalidate()
    assert rate_table().lookup("claude-3-5-sonnet-20241022", date(2025, 1, 1), "standard", 10).output == 15


def test_admin_override_wins_over_file_row(db):
    # Same tier, later effective_from: the admin's row prices from that day on.
    ModelPrice.objects.create(model="claude-opus-5", effective_from=date(2026, 12, 1), input=6, cache_write_5m=D("7.5"),
                              cache_write_1h=12, cache_read=D("0.6"), output=30)
    table = RateTable.from_db()
    assert table.lookup("claude-opus-5", date(2026, 11, 30), "standard", 10).input == 5
    assert table.lookup("claude-opus-5", date(2026, 12, 1), "standard", 10).input == 6


def test_db_table_matches_file(db):
    table = RateTable.from_db()
    for raw, day, _ in MODELS:
        for total in (1, 100_001, 200_001):
            for speed in ("standard", "fast"):
                assert table.lookup(raw, day, speed, total).key == TABLE.lookup(raw, day, speed, total).key


def test_pricing_sync_command(db, capsys):
    call_command("pricing_sync")
    assert f"0 added, 0 updated, 0 removed, {len(PARSED.rates)} unchanged" in capsys.readouterr().out


# ------------------------------------------------------------------ admin


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")
    client.force_login(user)
    return client


def test_admin_add_invalidates_the_cached_table(superuser_client):
    assert "claude-3-5-sonnet" not in rate_table().known_models()  # cache the table first
    response = superuser_client.post("/admin/pricing/modelprice/add/", {
        "model": "claude-3-5-sonnet-20241022", "speed": "standard", "min_input_tokens": 0,
        "input": "3", "cache_write_5m": "3.75", "cache_write_1h": "6", "cache_read": "0.30", "output": "15",
        "us_multiplier": "1", "confidence": "partial", "note": "",
    })
    assert response.status_code == 302, response.content[:2000]
    assert ModelPrice.objects.get(model="claude-3-5-sonnet").from_rate_file is False  # key normalised
    assert "claude-3-5-sonnet" in rate_table().known_models()


def test_admin_rejects_an_invalid_row(superuser_client):
    response = superuser_client.post("/admin/pricing/modelprice/add/", {
        "model": "claude-x", "speed": "standard", "min_input_tokens": 0, "effective_from": "2026-02-01",
        "effective_until": "2026-01-01", "input": "3", "cache_write_5m": "3.75", "cache_write_1h": "6",
        "cache_read": "0.30", "output": "15", "us_multiplier": "1", "confidence": "partial", "note": "",
    })
    assert response.status_code == 200 and not ModelPrice.objects.filter(model="claude-x").exists()
    assert "effective_from must be before effective_until" in response.content.decode()


def test_admin_file_rows_are_read_only(superuser_client):
    row = ModelPrice.objects.get(model="claude-opus-5", speed="standard")
    page = superuser_client.get(f"/admin/pricing/modelprice/{row.pk}/change/").content.decode()
    assert 'name="input"' not in page
    assert superuser_client.get("/admin/pricing/modelprice/?q=opus").status_code == 200
