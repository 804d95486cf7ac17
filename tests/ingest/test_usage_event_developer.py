"""UsageEvent.developer has no database constraint (ingest 0015): a developer's deletion still nulls their events,
and a write of events never leaves one naming a developer that is gone (upsert.developers_lock and
upsert.developer_deleting do what the deferred foreign-key check did)."""
from datetime import datetime, timezone
import threading

from django.db import IntegrityError, connection, transaction
import psycopg
import pytest

from costdash.accounts.models import Developer, Identity
from costdash.ingest.import_run import entries_write
from costdash.ingest.models import UsageEvent
from costdash.ingest.parsers.base import ParsedRequest
from costdash.ingest.rows import RowBuilder
from costdash.ingest.services import usage_import
from costdash.pricing.services import rate_table
from tests.factories import DeveloperFactory
from tests.ingest.test_litellm_import_in_parts import ROW_COST, spendlogs

AT = datetime(2026, 11, 2, 12, tzinfo=timezone.utc)


def pending_for(developer_id: int, *keys: str) -> dict:
    """Entries of requests for ``developer_id`` as an import holds them before a flush."""
    builder = RowBuilder(batch_id=None, table=rate_table(), tz_name="UTC", copy_text=connection.vendor == "postgresql",
                         source="litellm_spendlogs", developer_id=developer_id)
    return {key: builder.entry(ParsedRequest(dedupe_key=key, timestamp=AT, raw_model="claude-sonnet-4-5",
                                             output_tokens=10)) for key in keys}


@pytest.mark.django_db
def test_usage_events_have_no_constraint_on_their_developer_and_no_like_index():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the partitioned table and every partition
            cursor.execute(
                "SELECT count(*) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                "WHERE t.relname LIKE 'ingest_usageevent%%' AND c.contype = 'f'"
            )
            assert cursor.fetchone()[0] == 0
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'ingest_usageevent%%' "
                           "AND indexdef LIKE '%%pattern_ops%%'")
            assert cursor.fetchone()[0] == 0
        else:
            cursor.execute("PRAGMA foreign_key_list(ingest_usageevent)")
            assert cursor.fetchall() == []


@pytest.mark.django_db
def test_a_developer_deleted_keeps_their_events_with_no_developer(tmp_path):
    path = tmp_path / "spendlogs.csv"
    path.write_bytes(spendlogs(6))  # alice and bob, 3 rows each
    assert usage_import([path]).requests_new == 6
    alice = Developer.objects.get(email="alice@example.com")
    bob = Developer.objects.get(email="bob@example.com")
    alice_events = set(UsageEvent.objects.filter(developer=alice).values_list("pk", "identity_id", "cost"))
    assert len(alice_events) == 3 and {cost for _, _, cost in alice_events} == {ROW_COST}
    alice.delete()
    assert set(UsageEvent.objects.filter(developer=None).values_list("pk", "identity_id", "cost")) == alice_events
    assert UsageEvent.objects.filter(developer=bob).count() == 3
    assert Identity.objects.get(external_id="alice@example.com").developer_id is None


@pytest.mark.django_db
def test_a_write_naming_a_developer_deleted_meanwhile_is_refused_and_stores_nothing():
    ana, bo = DeveloperFactory(email="ana@example.com"), DeveloperFactory(email="bo@example.com")
    pending = {**pending_for(ana.pk, "litellm:a1"), **pending_for(bo.pk, "litellm:b1")}
    ana.delete()  # after the import resolved her identity, before its flush
    with pytest.raises(IntegrityError, match="do not exist"), transaction.atomic():
        entries_write(pending, new=True)
    assert not UsageEvent.objects.exists()
    with transaction.atomic():
        assert entries_write(pending_for(bo.pk, "litellm:b1")).inserted == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL (SQLite has one writer)")
def test_a_deletion_during_a_write_of_their_events_waits_for_it_and_nulls_them():
    """A flush of events for Ana is written and holds her developer row (developers_lock), not committed, when her
    deletion starts: the deletion waits for the flush to commit, then nulls its events too."""
    ana = DeveloperFactory(email="ana@example.com")
    settings = connection.settings_dict
    other = psycopg.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"],
                            port=settings["PORT"] or 5432, password=settings["PASSWORD"] or None)
    try:
        cols = ", ".join(f'"{c}"' for c in ("dedupe_key", "source", "developer_id", "timestamp", "model"))
        other.execute(f"INSERT INTO ingest_usageevent ({cols}, raw_model, session_id, project, request_id, message_id, "
                      "input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, "
                      "web_search_requests, service_tier, is_batch, speed, inference_geo) VALUES "
                      "('litellm:a1', 'litellm_spendlogs', %s, %s, 'claude-sonnet-4-5', '', '', '', '', '', "
                      "0, 10, 0, 0, 0, 0, '', false, '', '')", [ana.pk, AT])
        other.execute("SELECT id FROM accounts_developer WHERE id = ANY(%s) FOR KEY SHARE", [[ana.pk]])
        committer = threading.Timer(0.5, other.commit)
        committer.start()
        ana.delete()  # waits for the flush's commit
        committer.join()
        assert UsageEvent.objects.get(pk="litellm:a1").developer_id is None
    finally:
        other.rollback()
        other.close()
