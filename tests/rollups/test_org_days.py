"""OrgDailyCost (rollups.org_days): DailyCost summed over every developer per (day, model, source), kept in
step by the recompute, and what a page of the whole org reads: the same figures as a scope naming every
developer, which reads DailyCost."""
from dataclasses import replace
from datetime import date
from decimal import Decimal
import threading

from django.db import connection
from django.db.models import Sum
import pytest

from costdash.accounts.models import Developer
from costdash.ingest.services import usage_import
from costdash.rollups.models import DailyCost, OrgDailyCost
from costdash.rollups.org_days import SUMMED, org_days_rebuild, org_days_refresh
from costdash.rollups.scope import Scope
from costdash.rollups.selectors.cache import _days as cache_days
from costdash.rollups.selectors.model_mix import model_mix
from costdash.rollups.selectors.overview import daily_spend, day_model_source_totals
from costdash.rollups.services import daily_cost_recompute, daily_cost_recompute_dirty
from tests.factories import DailyCostFactory, DeveloperFactory
from tests.ingest.transcripts import assistant_line, write_jsonl

DAY = date(2026, 3, 2)


def grouped_daily_cost() -> dict:
    rows = DailyCost.objects.values("day", "model", "source").annotate(**{f: Sum(f) for f in SUMMED}).order_by()
    return {(r["day"], r["model"], r["source"]): tuple(r[f] for f in SUMMED) for r in rows}


def org_rows() -> dict:
    return {(r.day, r.model, r.source): tuple(getattr(r, f) for f in SUMMED) for r in OrgDailyCost.objects.all()}


@pytest.mark.django_db
def test_the_recompute_keeps_the_org_days_equal_to_the_developers_rows(tmp_path):
    for n, email in enumerate(("ana@example.com", "bo@example.com")):
        lines = [
            assistant_line(msg=f"m{n}1", req=f"r{n}1", ts="2026-03-02T10:00:00Z", session="a", output=100 + n),
            assistant_line(msg=f"m{n}2", req=f"r{n}2", ts="2026-03-02T11:00:00Z", session="b",
                           model="claude-opus-4-6"),
            assistant_line(msg=f"m{n}3", req=f"r{n}3", ts="2026-03-03T09:00:00Z", session="c", output=50),
        ]
        usage_import([write_jsonl(tmp_path / f"{n}.jsonl", lines)], developer_email=email)
    daily_cost_recompute_dirty()
    assert org_rows() == grouped_daily_cost() and len(org_rows()) == 3
    # Late data for one developer: only its day changes, and the org's day follows.
    usage_import([write_jsonl(tmp_path / "late.jsonl", [
        assistant_line(msg="late", req="late", ts="2026-03-03T15:00:00Z", session="d", output=7)])],
        developer_email="ana@example.com")
    daily_cost_recompute_dirty()
    assert org_rows() == grouped_daily_cost()
    ana = Developer.objects.get(email="ana@example.com")
    # A developer's days recomputed alone (no org refresh asked for) leave the org's rows, which the next
    # refresh puts right; with the default, the recompute refreshes them itself.
    DailyCost.objects.filter(developer=ana).delete()
    daily_cost_recompute(ana.pk, {DAY, date(2026, 3, 3)})
    assert org_rows() == grouped_daily_cost()
    OrgDailyCost.objects.all().delete()
    assert org_days_rebuild() == 3 and org_rows() == grouped_daily_cost()
    # DeveloperMonth: each developer's month of DeveloperDay rows, kept by the same recompute.
    from costdash.rollups.models import DeveloperDay, DeveloperMonth

    months = {(m.developer_id, m.month): (m.spend, m.active_days, m.worst_cost) for m in DeveloperMonth.objects.all()}
    days = {}
    for d in DeveloperDay.objects.all():
        spend, active, worst = days.get((d.developer_id, d.day.replace(day=1)), (Decimal(0), 0, None))
        days[(d.developer_id, d.day.replace(day=1))] = (spend + d.cost, active + d.active,
                                                        d.cost if worst is None else max(worst, d.cost))
    assert months == days and len(months) == 2


@pytest.mark.django_db
def test_a_page_of_everyone_reads_the_org_days_with_the_same_figures():
    ana, bo = DeveloperFactory(email="ana@example.com"), DeveloperFactory(email="bo@example.com")
    for dev, model, cost in ((ana, "claude-sonnet-4-6", "3.10"), (bo, "claude-sonnet-4-6", "4.25"),
                             (bo, "claude-opus-4-6", "9.999999"), (ana, "mystery", "0")):
        DailyCostFactory(developer=dev, day=DAY, model=model, cost=Decimal(cost), input_tokens=11, cache_read_tokens=7,
                         unpriced_requests=5 if model == "mystery" else 0)
    everyone = Scope(Developer.objects.all(), DAY, DAY)
    named = Scope(Developer.objects.filter(pk__in=[ana.pk, bo.pk]), DAY, DAY)
    assert everyone.day_model_costs().model is OrgDailyCost and named.day_model_costs().model is DailyCost
    assert replace(everyone, project="x", repositories=("x",)).day_model_costs().model is not OrgDailyCost
    for read in (day_model_source_totals, daily_spend, cache_days, model_mix):
        assert read(everyone) == read(named), read.__name__
    assert model_mix(replace(everyone, model="claude-opus-4-6")) == model_mix(replace(named, model="claude-opus-4-6"))


@pytest.mark.django_db(transaction=True)
def test_refreshes_of_one_day_take_turns():
    """Two refreshes of the same day at once: the second waits for the first (an advisory lock) instead of
    failing on the unique (day, model, source) rows."""
    dev = DeveloperFactory(email="ana@example.com")
    DailyCostFactory(developer=dev, day=DAY, cost=Decimal("2.00"))
    errors = []

    def refresh():
        try:
            org_days_refresh([DAY])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and org_rows() == grouped_daily_cost()


@pytest.mark.django_db(transaction=True)
def test_a_developer_deleted_leaves_the_org_days():
    ana, bo = DeveloperFactory(email="ana@example.com"), DeveloperFactory(email="bo@example.com")
    DailyCostFactory(developer=ana, day=DAY, cost=Decimal("2.00"))
    DailyCostFactory(developer=bo, day=DAY, cost=Decimal("5.00"))
    ana.delete()
    assert org_rows() == grouped_daily_cost() and OrgDailyCost.objects.get().cost == Decimal("5.00")


@pytest.mark.django_db
def test_the_heatmap_of_everyone_reads_the_org_hours_with_the_same_figures():
    from costdash.rollups.models import HourlyCost, OrgHourlyCost
    from costdash.rollups.selectors.hourly import spend_by_hour

    ana, bo = DeveloperFactory(email="ana@example.com"), DeveloperFactory(email="bo@example.com")
    HourlyCost.objects.bulk_create([
        HourlyCost(developer=ana, day=DAY, hour=9, requests=3, cost=Decimal("1.25")),
        HourlyCost(developer=bo, day=DAY, hour=9, requests=2, unpriced_requests=1, cost=Decimal("0.75")),
        HourlyCost(developer=bo, day=date(2026, 3, 3), hour=23, requests=1, cost=Decimal("0.000001")),
    ])
    org_days_refresh([DAY, date(2026, 3, 3)])
    assert OrgHourlyCost.objects.get(day=DAY, hour=9).cost == Decimal("2.00")
    everyone = Scope(Developer.objects.all(), DAY, date(2026, 3, 3))
    named = Scope(Developer.objects.filter(pk__in=[ana.pk, bo.pk]), DAY, date(2026, 3, 3))
    assert everyone.hourly_costs().model is OrgHourlyCost
    assert spend_by_hour(everyone) == spend_by_hour(named)
    assert spend_by_hour(everyone)["cost"][0][9] == Decimal("2.00")  # 2026-03-02 is a Monday


@pytest.mark.django_db
def test_the_org_day_counts_give_the_whole_orgs_histogram_p90_and_sources():
    """OrgDayBin and OrgDaySources (kept with the org's days) give a scope of everyone the same histogram, P90
    and developer-days per source as the developer-days themselves (a scope naming every developer)."""
    from costdash.rollups.models import OrgDayBin
    from costdash.rollups.selectors import developer_days_sql as in_sql
    from costdash.rollups.selectors.overview import cost_distribution_of_halves
    from costdash.rollups.selectors.spend import P90

    devs = [DeveloperFactory(email=f"d{n}@example.com") for n in range(4)]
    costs = ("0.50", "2.49", "2.50", "13.00", "31.20", "0", "7.77", "0.49", "30.00")
    for n, cost in enumerate(costs):
        DailyCostFactory(developer=devs[n % 4], day=date(2026, 3, 2 + n % 3), cost=Decimal(cost),
                         unpriced_requests=1 if cost == "0" else 0)
    DailyCostFactory(developer=devs[0], day=date(2026, 3, 9), requests=0, sessions=0, cost=Decimal(0))  # not active
    everyone = Scope(Developer.objects.all(), DAY, date(2026, 3, 9))
    named = Scope(Developer.objects.filter(pk__in=[d.pk for d in devs]), DAY, date(2026, 3, 9))
    assert OrgDayBin.objects.exists()
    org, each = in_sql.active_costs(everyone), in_sql.active_costs(named)
    assert org == each and org.count == len(costs)
    assert cost_distribution_of_halves(org) == cost_distribution_of_halves(each)
    assert in_sql.percentile_of(everyone, org, P90) == in_sql.percentile_of(named, each, P90)
    assert in_sql.sources_counted(everyone) == in_sql.sources_counted(named)
    OrgDayBin.objects.all().delete()
    org_days_rebuild()
    assert in_sql.active_costs(everyone) == each
