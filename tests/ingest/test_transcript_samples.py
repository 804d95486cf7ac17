"""Real sample transcripts from shared/samples/, against independently worked-out totals."""
from decimal import Decimal

from django.db.models import Sum
import pytest

from costdash.ingest.models import UsageEvent
from costdash.ingest.services import usage_import
from costdash.rollups.models import DailyCost
from costdash.rollups.services import daily_cost_recompute_dirty

from .transcripts import oracle_totals

pytestmark = pytest.mark.django_db
FIELDS = ("input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens")


def rollup_by_day(email: str) -> dict:
    rows = DailyCost.objects.filter(developer__email=email).values("day").annotate(
        requests=Sum("requests"), cost=Sum("cost"), **{f"t_{f}": Sum(f) for f in FIELDS}
    )
    return {
        r["day"].isoformat(): {"requests": r["requests"], "cost": r["cost"], **{f: r[f"t_{f}"] for f in FIELDS}}
        for r in rows
    }


# From shared/samples/README.md ("Expected totals under costdash's rules"), Sonnet 4 list prices.
VIEWER = {
    "2025-09-03": (179, 1111, 52906, 150674, 0, 3751073, "2.4872724"),
    "2025-09-07": (20, 129, 3629, 47747, 0, 324259, "0.33115095"),
}
SNIFFLY = {
    "2025-06-08": (86, 205, 19035, 190624, 0, 4257841, "2.2783323"),
    "2025-06-10": (4, 88, 278, 16000, 0, 44544, "0.0777972"),
}


@pytest.mark.parametrize(
    "folder, expected",
    [("claude-code-viewer", VIEWER), ("sniffly", SNIFFLY)],
)
def test_sample_totals_match_published_figures(samples, folder, expected):
    batch = usage_import([samples / folder], developer_email="ana@example.com")
    daily_cost_recompute_dirty()
    assert batch.status == "done" and batch.rejected == 0
    got = rollup_by_day("ana@example.com")
    assert set(got) == set(expected)
    for day, (requests, inp, out, w5, w1, read, usd) in expected.items():
        assert got[day]["requests"] == requests
        assert [got[day][f] for f in FIELDS] == [inp, out, w5, w1, read]
        assert got[day]["cost"] == Decimal(usd)


def test_spotter_subagents_and_agent_progress_counted_once(samples):
    """Real 2.1.x tree: subagent files plus the same requests echoed as agent_progress lines."""
    root = samples / "spotter"
    batch = usage_import([root], developer_email="ana@example.com")
    daily_cost_recompute_dirty()
    expected = oracle_totals(root)
    got = rollup_by_day("ana@example.com")
    assert {d: {k: v for k, v in t.items() if k != "cost"} for d, t in got.items()} == {
        d: {**{f: 0 for f in FIELDS}, **t} for d, t in expected.items()
    }
    assert batch.requests_new == sum(t["requests"] for t in expected.values())
    # The keep-the-largest-copy rule: first-wins would give about a quarter of this (format spec).
    opus = UsageEvent.objects.filter(model="claude-opus-4-6").aggregate(out=Sum("output_tokens"))["out"]
    assert opus == 165_663


def test_files_that_are_not_jsonl_and_files_without_usage_are_harmless(samples):
    batch = usage_import([samples / "sniffly"], developer_email="ana@example.com")
    # four .jsonl files (one holding only a summary line); .continuation_cache.json and pricing.json ignored
    assert batch.files_read == 4
    assert batch.rejected == 0
    assert batch.status == "done"


def test_worker_processes_import_exactly_what_one_process_does(samples, monkeypatch):
    """Large imports parse in spawned worker processes (no Django set up there): same events."""
    from costdash.ingest import parallel

    files = len(list((samples / "spotter").rglob("*.jsonl")))
    usage_import([samples / "spotter"], developer_email="one@example.com")
    in_process = sorted(UsageEvent.objects.values_list("dedupe_key", "output_tokens", "cost", "timestamp"))
    UsageEvent.objects.all().delete()
    monkeypatch.setattr(parallel, "MIN_BYTES_FOR_WORKERS", 0)
    monkeypatch.setenv("COSTDASH_IMPORT_WORKERS", "2")
    batch = usage_import([samples / "spotter"], developer_email="two@example.com")
    assert batch.status == "done" and batch.files_read == files
    assert sorted(UsageEvent.objects.values_list("dedupe_key", "output_tokens", "cost", "timestamp")) == in_process
    assert batch.usage_lines == 1945
