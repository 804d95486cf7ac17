"""Rate-limit planning: the per-minute rollup (MinuteUsage), built by the same recompute as DailyCost,
and the per-minute figures of the org and each team against Anthropic's recommendations and the
limits entered. Every figure below is worked out by hand in the comments.

Requests (org zone UTC, Tue 2026-11-10), each with 10 uncached input, 100 cache-write (5m), 1,000
cache-read and 5 output tokens unless said otherwise:

    minute  Alpha (a1, a2)   Beta (b1)   org
    09:00   a1 1, a2 1       1           3
    09:01   a1 2                         2
    09:02                    4           4
    09:03   a2 1                         1
    09:05   a1 3             7           10

So per minute: cache-aware input (ITPM) = 110 x requests, all input 1,110 x, output 5 x,
cache-aware input + output (TPM) 115 x.
"""
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from itertools import count

import pytest

from costdash.accounts.models import OrgSettings
from costdash.ingest.models import FailedCall, UsageEvent
from costdash.ratelimits import minutes
from costdash.ratelimits.models import MinuteUsage, OrgRateLimit, RateRecommendation
from costdash.ratelimits.selectors import rate_plan, recommendation_for
from costdash.rollups.services import daily_cost_mark_dirty, daily_cost_recompute_dirty
from tests.factories import DeveloperFactory, TeamFactory

pytestmark = pytest.mark.django_db
_keys = count()
DAY = date(2026, 11, 10)
NEXT = date(2026, 11, 11)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def requests(developer, minute: str, n: int, *, source="claude_code_jsonl", output=5, req="") -> None:
    """``n`` requests in the minute ``minute`` (UTC, "2026-11-10T09:05"), a few seconds apart."""
    for i in range(n):
        UsageEvent.objects.create(
            dedupe_key=f"{source}:{next(_keys)}", source=source, developer=developer, request_id=req,
            timestamp=at(minute) + timedelta(seconds=5 * i), model="claude-sonnet-4-6", input_tokens=10,
            cache_write_5m_tokens=100, cache_read_tokens=1000, output_tokens=output, cost=D("0.01"),
        )


def failure(developer, ts: str, error: str, source: str) -> None:
    FailedCall.objects.create(key=f"{source}:f{next(_keys)}", source=source, developer=developer, timestamp=at(ts),
                              model="claude-sonnet-4-6", error=error)


def recompute(*pairs) -> None:
    daily_cost_mark_dirty(pairs)
    daily_cost_recompute_dirty()


@pytest.fixture
def team_world(db):
    alpha, beta = TeamFactory(name="Alpha"), TeamFactory(name="Beta")
    a1 = DeveloperFactory(email="a1@example.com", team=alpha)
    a2 = DeveloperFactory(email="a2@example.com", team=alpha)
    b1 = DeveloperFactory(email="b1@example.com", team=beta)
    requests(a1, "2026-11-10T09:00", 1)
    requests(a2, "2026-11-10T09:00", 1)
    requests(b1, "2026-11-10T09:00", 1)
    requests(a1, "2026-11-10T09:01", 2)
    requests(b1, "2026-11-10T09:02", 4)
    requests(a2, "2026-11-10T09:03", 1)
    requests(a1, "2026-11-10T09:05", 3)
    requests(b1, "2026-11-10T09:05", 7)
    failure(a1, "2026-11-10T09:05:30", "429 RateLimitError", "litellm_spendlogs")
    failure(b1, "2026-11-10T09:06:10", "429 rate_limit_error", "otel")  # a minute with only a 429
    failure(b1, "2026-11-10T09:07:00", "529 overloaded_error", "otel")  # not a rate limit
    recompute(*((d.pk, DAY) for d in (a1, a2, b1)))
    return {"alpha": alpha, "beta": beta, "a1": a1, "a2": a2, "b1": b1}


def test_the_minute_rollup_counts_each_request_once_and_the_429s_beside_them(db):
    org = OrgSettings.get()
    org.time_zone = "America/New_York"
    org.save()
    dev = DeveloperFactory(email="hana@example.com")
    requests(dev, "2026-11-11T03:30", 2)  # 22:30 EST on Tue Nov 10
    # One request reported by two sources (same request id): OTel's copy (output 7) is counted.
    requests(dev, "2026-11-11T03:31", 1, source="claude_code_jsonl", output=5, req="req_1")
    requests(dev, "2026-11-11T03:31", 1, source="otel", output=7, req="req_1")
    failure(dev, "2026-11-11T03:31:40", "429 RateLimitError", "litellm_payload")
    failure(dev, "2026-11-11T03:32:00", "500 api_error", "otel")
    recompute((dev.pk, DAY))
    rows = {
        (r.day, r.minute): (r.requests, r.input_tokens, r.cache_write_tokens, r.cache_read_tokens, r.output_tokens,
                            r.rate_limited)
        for r in MinuteUsage.objects.filter(developer=dev)
    }
    assert rows == {
        (DAY, at("2026-11-11T03:30")): (2, 20, 200, 2000, 10, 0),
        (DAY, at("2026-11-11T03:31")): (1, 10, 100, 1000, 7, 1),
    }
    recompute((dev.pk, DAY))  # twice: the same rows
    assert MinuteUsage.objects.filter(developer=dev).count() == 2


def test_percentiles_and_peaks_of_the_org_and_each_team_by_day(team_world):
    plan = rate_plan(DAY, DAY, "UTC")
    org = plan.org
    assert org.users == 3
    [(day, stats)] = org.days
    assert day == DAY and stats.minutes == 5 and stats.rate_limited == 2
    # Org requests per minute, sorted [1, 2, 3, 4, 10]: p50 = 3; p95 at 0.95 x 4 = 3.8 -> 4 + 0.8 x 6 = 8.8;
    # p99 at 3.96 -> 4 + 0.96 x 6 = 9.76; the peak 10 at 09:05.
    rpm = stats.metrics["rpm"]
    assert (rpm.p50, rpm.p95, rpm.p99, rpm.peak, rpm.peak_minute) == (D("3"), D("8.8"), D("9.76"), 10,
                                                                       at("2026-11-10T09:05"))
    itpm = stats.metrics["itpm"]  # 110 per request
    assert (itpm.p50, itpm.p95, itpm.p99, itpm.peak) == (D("330"), D("968"), D("1073.6"), 1100)
    assert stats.metrics["itpm_all"].peak == 11100  # cache reads included: 1,110 x 10
    assert stats.metrics["otpm"].peak == 50
    assert stats.metrics["tpm"].peak == 1150
    alpha, beta = plan.teams
    assert (alpha.name, alpha.users, beta.name, beta.users) == ("Alpha", 2, "Beta", 1)
    # Alpha [1, 2, 2, 3]: p50 at 1.5 -> 2; p95 at 2.85 -> 2.85; p99 at 2.97 -> 2.97; peak 3.
    a = alpha.overall.metrics["rpm"]
    assert (a.p50, a.p95, a.p99, a.peak) == (D("2"), D("2.85"), D("2.97"), 3)
    # Beta [1, 4, 7]: p50 4; p95 at 1.9 -> 4 + 0.9 x 3 = 6.7; p99 at 1.98 -> 6.94; peak 7 at 09:05.
    b = beta.overall.metrics["rpm"]
    assert (b.p50, b.p95, b.p99, b.peak, b.peak_minute) == (D("4"), D("6.7"), D("6.94"), 7, at("2026-11-10T09:05"))
    assert (alpha.overall.rate_limited, beta.overall.rate_limited) == (1, 1)
    assert plan.rate_limited_by_source == [
        {"source": "litellm_spendlogs", "label": "LiteLLM spend logs", "errors": 1},
        {"source": "otel", "label": "Claude Code OpenTelemetry", "errors": 1},
    ]


def test_a_range_shows_each_day_and_the_worst_days_figures(team_world):
    # Next day: one request, reported by two sources: one request in one minute.
    requests(team_world["a1"], "2026-11-11T12:00", 1, source="otel", req="req_9")
    requests(team_world["a1"], "2026-11-11T12:00", 1, source="claude_code_jsonl", req="req_9")
    recompute((team_world["a1"].pk, NEXT))
    plan = rate_plan(DAY, date(2026, 11, 12), "UTC")
    assert [(day, d.minutes, d.metrics["rpm"].p50) for day, d in plan.org.days] == [(DAY, 5, D("3")), (NEXT, 1, D("1"))]
    # The range: 6 active minutes, each figure the worst day's (Nov 10: 3, 8.8, 9.76, 10 at 09:05).
    overall = plan.org.overall
    rpm = overall.metrics["rpm"]
    assert (overall.minutes, rpm.p50, rpm.p95, rpm.p99, rpm.peak, rpm.peak_minute) == (
        6, D("3"), D("8.8"), D("9.76"), 10, at("2026-11-10T09:05"))


def test_a_day_is_computed_again_when_its_requests_change(team_world):
    assert rate_plan(DAY, DAY, "UTC").org.overall.metrics["rpm"].peak == 10
    requests(team_world["a2"], "2026-11-10T09:05", 2)  # 09:05 now has 12
    recompute((team_world["a2"].pk, DAY))
    assert rate_plan(DAY, DAY, "UTC").org.overall.metrics["rpm"].peak == 12


def test_minutes_over_the_limits_entered_and_the_headroom(team_world):
    OrgRateLimit.objects.create(itpm=500, rpm=3)  # no OTPM entered: not compared
    plan = rate_plan(DAY, DAY, "UTC")
    stats = plan.org.overall
    # ITPM 110 x requests > 500 only at 09:05 (1,100); RPM > 3 at 09:02 (4) and 09:05 (10): 2 minutes in all.
    assert stats.over == {"itpm": 1, "rpm": 2}
    assert stats.throttled == 2
    by_figure = {h.figure: h for h in plan.limit_headroom}
    assert set(by_figure) == {"itpm", "rpm"}
    assert (by_figure["itpm"].left, by_figure["itpm"].share_left) == (D(-600), D(1) - D(1100) / D(500))
    assert (by_figure["rpm"].left, by_figure["rpm"].over) == (D(-7), 2)
    # The limits are the org's: a team's minutes are not compared with them.
    assert [t.overall.throttled for t in plan.teams] == [None, None]


def test_the_python_fallback_gives_the_databases_figures(team_world):
    def fields(rows):
        return {key: (r.scope, r.day, r.active_minutes, r.rate_limited, r.stats, r.minutes) for key, r in rows.items()}

    assert fields(minutes._days_in_python([DAY, NEXT])) == fields(minutes._days_in_database([DAY, NEXT]))


@pytest.mark.parametrize(("users", "band", "tpm", "rpm"), [
    (1, "1-5 users", (200_000, 300_000), (D("5"), D("7"))),
    (5, "1-5 users", (1_000_000, 1_500_000), (D("25"), D("35"))),
    (6, "5-20 users", (600_000, 900_000), (D("15"), D("21"))),
    # The documentation's own example: 200 users at 20k is 4 million TPM.
    (200, "100-500 users", (3_000_000, 4_000_000), (D("74"), D("94"))),
    (501, "500+ users", (5_010_000, 7_515_000), (D("125.25"), D("175.35"))),
])
def test_recommendation_bands_from_the_seeded_table(db, users, band, tpm, rpm):
    rec = recommendation_for(users, list(RateRecommendation.objects.all()))
    assert rec.band.band == band
    assert (rec.tpm_low, rec.tpm_high) == tpm
    assert (rec.rpm_low, rec.rpm_high) == rpm
    assert rec.band.as_of == date(2026, 12, 6) and "000_34587df8371881df.txt" in rec.band.source


def test_each_scope_against_its_recommendation_and_at_twice_its_size(team_world):
    plan = rate_plan(DAY, DAY, "UTC")
    org = plan.org
    # 3 users: band 1-5, 600k-900k TPM and 15-21 RPM; 6 users: band 5-20, 600k-900k TPM.
    assert (org.recommendation.tpm_low, org.recommendation.tpm_high, org.recommendation.rpm_low) == (600_000, 900_000,
                                                                                                     D("15.000"))
    assert (org.at_double.users, org.at_double.tpm_low, org.at_double.tpm_high) == (6, 600_000, 900_000)
    tpm, rpm = org.headroom
    assert (tpm.figure, tpm.limit, tpm.peak, tpm.left, tpm.over) == ("tpm", D(600_000), 1150, D(598_850), 0)
    assert (rpm.figure, rpm.limit, rpm.peak, rpm.left) == ("rpm", D(15), 10, D(5))
    assert rpm.share_left == 1 - D(10) / D(15)
    assert org.doubled_peak["tpm"] == 2300
    alpha, beta = plan.teams
    # Alpha, 2 users: 400k-600k; at 4 users 800k-1.2M. Beta, 1 user: 200k-300k; at 2, 400k-600k.
    assert (alpha.recommendation.tpm_low, alpha.at_double.tpm_low, alpha.at_double.tpm_high) == (400_000, 800_000,
                                                                                                  1_200_000)
    assert (beta.recommendation.tpm_low, beta.at_double.tpm_low) == (200_000, 400_000)


def test_the_migration_marks_the_days_already_imported_for_their_minutes(team_world):
    import importlib

    from django.apps import apps

    from costdash.rollups.models import DirtyDay

    MinuteUsage.objects.all().delete()  # as before the upgrade
    importlib.import_module("costdash.ratelimits.migrations.0003_mark_request_days_dirty").mark(apps, None)
    assert set(DirtyDay.objects.values_list("developer_id", "day")) == {
        (team_world[name].pk, DAY) for name in ("a1", "a2", "b1")
    }
    daily_cost_recompute_dirty()
    assert MinuteUsage.objects.filter(requests__gt=0).count() == 8  # the eight developer-minutes of the table


def test_the_recompute_sweep_computes_the_stale_days_so_no_page_waits(db):
    from costdash.ratelimits.models import MinuteDay, MinuteDayStale
    from costdash.rollups.tasks import daily_cost_recompute_dirty as sweep

    dev = DeveloperFactory(email="kai@example.com")
    requests(dev, "2026-11-10T10:00", 3)
    daily_cost_mark_dirty([(dev.pk, DAY)])
    sweep()
    assert not MinuteDayStale.objects.exists()
    org = MinuteDay.objects.get(scope=minutes.ORG, day=DAY)
    assert (org.active_minutes, org.stats["rpm"][3], org.minutes) == (1, 3, [[3, 330, 15]])
