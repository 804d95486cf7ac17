"""Recomputing rollups: from events, idempotent, and only for dirty days."""
from decimal import Decimal
import json

from django.core.management import call_command
import pytest

from costdash.accounts.models import OrgSettings
from costdash.ingest.services import usage_import
from costdash.rollups.models import DailyCost, DirtyDay
from costdash.rollups.services import daily_cost_mark_all_dirty, daily_cost_recompute, daily_cost_recompute_dirty
from tests.ingest.transcripts import assistant_line, write_jsonl

pytestmark = pytest.mark.django_db
ANA = "ana@example.com"


def rows():
    return list(
        DailyCost.objects.order_by("developer_id", "day", "model").values_list(
            "developer_id", "day", "model", "input_tokens", "output_tokens", "cache_read_tokens", "requests",
            "sessions", "unpriced_requests", "cost",
        )
    )


@pytest.fixture
def two_days(tmp_path):
    lines = [
        assistant_line(msg="m1", req="r1", ts="2026-03-02T10:00:00Z", session="a", output=100),
        assistant_line(msg="m2", req="r2", ts="2026-03-02T11:00:00Z", session="b", output=200),
        assistant_line(msg="m3", req="r3", ts="2026-03-02T12:00:00Z", session="b", model="claude-opus-4-6"),
        assistant_line(msg="m4", req="r4", ts="2026-03-03T09:00:00Z", session="c", output=50),
    ]
    usage_import([write_jsonl(tmp_path / "s.jsonl", lines)], developer_email=ANA)
    return tmp_path


def test_rollup_rows_are_the_sums_of_events(two_days):
    assert daily_cost_recompute_dirty() == 2
    got = {(r[1].isoformat(), r[2]): r[3:] for r in rows()}
    # Sonnet 4.6 on 03-02: two requests, 8 input, 300 output, 2000 reads, two sessions;
    # cost (8 × 3 + 300 × 15 + 2000 × 0.3) / 1e6 = 0.005124
    assert got[("2026-03-02", "claude-sonnet-4-6")] == (8, 300, 2000, 2, 2, 0, Decimal("0.005124"))
    # Opus 4.6: (4 × 5 + 100 × 25 + 1000 × 0.5) / 1e6 = 0.00302
    assert got[("2026-03-02", "claude-opus-4-6")] == (4, 100, 1000, 1, 1, 0, Decimal("0.00302"))
    assert got[("2026-03-03", "claude-sonnet-4-6")] == (4, 50, 1000, 1, 1, 0, Decimal("0.001062"))
    assert not DirtyDay.objects.exists()


def test_recomputing_twice_yields_the_same_rows(two_days):
    daily_cost_recompute_dirty()
    first = rows()
    developer_id = first[0][0]
    daily_cost_recompute(developer_id, {r[1] for r in first})
    daily_cost_mark_all_dirty()
    daily_cost_recompute_dirty()
    assert rows() == first


def test_late_data_recomputes_only_its_day(two_days, tmp_path):
    daily_cost_recompute_dirty()
    late = write_jsonl(tmp_path / "late.jsonl", [assistant_line(msg="m9", req="r9", ts="2026-03-03T15:00:00Z")])
    usage_import([late], developer_email=ANA)
    assert [d.isoformat() for d in DirtyDay.objects.values_list("day", flat=True)] == ["2026-03-03"]
    assert daily_cost_recompute_dirty() == 1
    assert DailyCost.objects.get(day="2026-03-03").requests == 2


def test_time_zone_change_moves_days_after_a_full_recompute(two_days):
    daily_cost_recompute_dirty()
    org = OrgSettings.get()
    org.time_zone = "Asia/Tokyo"  # 2026-03-03T09:00Z is 18:00 in Tokyo; 03-02T10:00Z is 19:00
    org.save()
    daily_cost_mark_all_dirty()
    daily_cost_recompute_dirty()
    assert sorted({d.isoformat() for d in DailyCost.objects.values_list("day", flat=True)}) == [
        "2026-03-02", "2026-03-03"
    ]
    org.time_zone = "Pacific/Kiritimati"  # UTC+14: 03-02T10:00Z is 03-03 00:00, 03-03T09:00Z is 03-03 23:00
    org.save()
    daily_cost_mark_all_dirty()
    daily_cost_recompute_dirty()
    assert {d.isoformat() for d in DailyCost.objects.values_list("day", flat=True)} == {"2026-03-03"}
    assert sum(DailyCost.objects.values_list("requests", flat=True)) == 4


def test_daily_costs_command_prints_the_rollup_as_json(two_days, capsys):
    daily_cost_recompute_dirty()
    call_command("daily_costs", "--json", "--since", "2026-03-03", "--developer", ANA)
    printed = json.loads(capsys.readouterr().out)
    assert printed == [
        {
            "day": "2026-03-03", "developer": ANA, "model": "claude-sonnet-4-6", "source": "claude_code_jsonl",
            "input_tokens": 4,
            "output_tokens": 50, "cache_write_5m_tokens": 0, "cache_write_1h_tokens": 0, "cache_read_tokens": 1000,
            "web_search_requests": 0, "requests": 1, "sessions": 1, "unpriced_requests": 0, "cost": "0.001062",
        }
    ]
    call_command("daily_costs", "--json", "--until", "2026-03-01")
    assert json.loads(capsys.readouterr().out) == []


def test_import_usage_command_summarises_and_rejects_bad_paths(tmp_path, capsys):
    from django.core.management.base import CommandError

    path = write_jsonl(tmp_path / "s.jsonl", [assistant_line(), "garbage", assistant_line(msg="m2", model="claude-x")])
    call_command("import_usage", str(path), "--developer", ANA, "--no-progress")
    out = capsys.readouterr().out
    assert "2 imported" in out and "rejected:   1" in out
    assert f"{path}:2: malformed JSON" in out
    assert "claude-x (1 requests)" in out
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_usage", str(tmp_path / "missing"), "--developer", ANA)
    with pytest.raises(CommandError, match="valid developer email"):
        call_command("import_usage", str(path), "--developer", "nobody")


def developer_days():
    from costdash.rollups.models import DeveloperDay

    return {(r.day.isoformat(), r.cost, r.active) for r in DeveloperDay.objects.all()}


def test_developer_days_are_the_day_totals_and_follow_the_events(two_days, tmp_path):
    """DeveloperDay holds each day's total over models (0.005124 + 0.00302 on 03-02); a day whose
    events leave (here: repriced to nothing by removing them) loses its row in the recompute."""
    from costdash.ingest.models import UsageEvent

    daily_cost_recompute_dirty()
    assert developer_days() == {("2026-03-02", Decimal("0.008144"), True), ("2026-03-03", Decimal("0.001062"), True)}
    developer_id = DailyCost.objects.values_list("developer_id", flat=True).first()
    UsageEvent.objects.filter(timestamp__date="2026-03-03").delete()
    daily_cost_recompute(developer_id, {DailyCost.objects.get(day="2026-03-03").day})
    assert developer_days() == {("2026-03-02", Decimal("0.008144"), True)}
