"""Plan advice against the hand-worked figures of tests/planning/conftest.py (seeded plan table)."""
from datetime import date
from decimal import Decimal

from costdash.accounts.models import Developer
from costdash.planning.models import PlanPrice
from costdash.planning.selectors import API, plan_advice, window_months

from .conftest import AUGUST, JULY, SEPTEMBER, THROUGH, WINDOW

D = Decimal


def advice_of(developers=None, **kwargs):
    return plan_advice(developers or Developer.objects.all(), WINDOW, through=THROUGH, **kwargs)


def by_name(advice) -> dict:
    return {row.developer.name: row for row in advice.developers}


def test_window_months_end_with_the_chosen_month_and_cross_years():
    assert window_months(date(2026, 9, 1), 3) == WINDOW
    assert window_months(date(2026, 2, 1), 3) == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]


def test_each_developers_month_against_each_plan(spend):
    ana = by_name(advice_of())["Ana"]
    assert [row.spend for row in ana.months] == [D("22"), D("150"), D("5")]
    july = {item.plan: item for item in ana.months[0].plans}
    # Pro $20 < $22: $2 saved, spend 1.1 fees. Max 5x: $100 - $22 = $78 more.
    assert (july["pro"].price, july["pro"].saving, july["pro"].ratio) == (D("20"), D("2"), D("1.1"))
    assert (july["max_5x"].saving, july["max_5x"].dearer_by, july["max_5x"].ratio) == (D("-78"), D("78"), D("0.22"))
    # No published price: unknown, never $0.
    assert (july["team_premium"].price, july["team_premium"].saving, july["team_premium"].ratio) == (None, None, None)
    assert july["enterprise"].price is None
    august = {item.plan: item for item in ana.months[1].plans}
    assert (august["max_5x"].saving, august["max_5x"].ratio) == (D("50"), D("1.5"))
    assert (august["max_20x"].saving, august["max_20x"].ratio) == (D("-50"), D("0.75"))
    assert [row.cheapest.key for row in ana.months] == ["pro", "pro", API]
    assert [row.cheapest.cost for row in ana.months] == [D("20"), D("20"), D("5")]


def test_the_window_choice_and_the_months_a_plan_was_cheaper(spend):
    rows = by_name(advice_of())
    ana, bo, cy = rows["Ana"], rows["Bo"], rows["Cy"]
    # Ana: API $177; Pro 3 x $20 = $60; Max 5x $300; Max 20x $600. Team and Enterprise: unpriced, left out.
    assert [(o.key, o.cost) for o in ana.totals] == [(API, D("177")), ("pro", D("60")), ("max_5x", D("300")),
                                                     ("max_20x", D("600"))]
    assert (ana.best.key, ana.saving) == ("pro", D("117"))
    assert ana.months_cheaper == {"pro": 2, "max_5x": 1, "max_20x": 0, "team_premium": 0, "enterprise": 0}
    # Bo: $20 in July equals Pro's fee, so he stays on the API (a tie is no saving); $39.99 < $60.
    assert [row.cheapest.key for row in bo.months] == [API, API, API]
    assert (bo.spend, bo.best.key, bo.saving, bo.unpriced_requests) == (D("39.99"), API, D("0"), 3)
    assert bo.months[2].unpriced_requests == 3 and bo.months_cheaper["pro"] == 0
    # Cy: $750 on the API; Pro at $60 is the cheapest (limits are not modelled: see the note).
    assert (cy.spend, cy.best.key, cy.best.cost, cy.saving) == (D("750"), "pro", D("60"), D("690"))
    assert cy.months_cheaper == {"pro": 3, "max_5x": 3, "max_20x": 3, "team_premium": 0, "enterprise": 0}
    assert [row.developer.name for row in advice_of().developers] == ["Cy", "Ana", "Bo"]  # the biggest saving first


def test_the_teams_mix_month_by_month_and_over_the_window(spend):
    advice = advice_of()
    # July: $22 + $20 + $250 = $292; mix Ana Pro $20 + Bo API $20 + Cy Pro $20 = $60.
    # August: $150 + $0 + $250 = $400; mix $20 + $0 + $20 = $40.
    # September: $5 + $19.99 + $250 = $274.99; mix $5 + $19.99 + $20 = $44.99.
    assert [(m.month, m.spend, m.mix, m.saving) for m in advice.by_month] == [
        (JULY, D("292"), D("60"), D("232")), (AUGUST, D("400"), D("40"), D("360")),
        (SEPTEMBER, D("274.99"), D("44.99"), D("230")),
    ]
    assert [m.counts for m in advice.by_month] == [{API: 1, "pro": 2}, {"pro": 2, API: 1}, {API: 2, "pro": 1}]
    # Window: $177 + $39.99 + $750 = $966.99; mix $60 (Ana) + $39.99 (Bo) + $60 (Cy) = $159.99.
    assert (advice.spend, advice.mix, advice.saving) == (D("966.99"), D("159.99"), D("807"))
    assert advice.mix_counts == {"pro": 2, API: 1}
    assert advice.mix_text == "API (pay per token): 1, Pro: 2"
    assert [(t.name, t.developers, t.spend, t.mix, t.saving) for t in advice.teams] == [
        ("Data", 1, D("750"), D("60"), D("690")), ("Web", 2, D("216.99"), D("99.99"), D("117")),
    ]
    assert advice.partial_through is None
    assert "not modelled" in advice.limits_note


def test_the_day_spend_passed_each_fee(spend):
    ana = advice_of(Developer.objects.filter(name="Ana"), with_days=True).developers[0]
    passes = [{item.plan: item.passes_on for item in row.plans} for row in ana.months]
    # July: $12 on the 3rd (not above $20), $22 on the 10th. August: $90 on the 5th (> $20), $150 on
    # the 20th (> $100, not > $200). September: $5, above nothing.
    assert passes[0]["pro"] == date(2026, 7, 10) and passes[0]["max_5x"] is None
    assert (passes[1]["pro"], passes[1]["max_5x"], passes[1]["max_20x"]) == (date(2026, 8, 5), date(2026, 8, 20), None)
    assert set(passes[2].values()) == {None}


def test_a_dated_admin_row_changes_the_months_from_its_date(spend, admin_user):
    # Pro rises to $25 from September; a Team premium quote of $30 from August (none for July).
    PlanPrice.objects.create(plan="pro", monthly_price=D("25"), effective_from=SEPTEMBER, as_of=date(2026, 8, 20),
                             source="our invoice", confidence="verified")
    PlanPrice.objects.create(plan="team_premium", monthly_price=D("30"), effective_from=AUGUST,
                             as_of=date(2026, 7, 30), source="sales quote", confidence="verified")
    rows = by_name(advice_of())
    ana, cy = rows["Ana"], rows["Cy"]
    assert [row.plans[0].price for row in ana.months] == [D("20"), D("20"), D("25")]
    assert [row.plans[3].price for row in ana.months] == [None, D("30"), D("30")]
    # Team premium is unpriced in July, so it is no window option; Pro is $20 + $20 + $25 = $65.
    assert [(o.key, o.cost) for o in cy.totals][:2] == [(API, D("750")), ("pro", D("65"))]
    assert "team_premium" not in [o.key for o in cy.totals]
    assert cy.months_cheaper["team_premium"] == 2  # $250 > $30 in August and September
    assert (cy.best.cost, cy.saving) == (D("65"), D("685"))


def test_an_admin_row_on_the_seeds_date_wins_over_the_seed(spend):
    PlanPrice.objects.create(plan="max_5x", monthly_price=D("90"), effective_from=None, as_of=date(2026, 12, 1),
                             source="checked again", confidence="verified")
    ana = by_name(advice_of())["Ana"]
    assert [row.plans[1].price for row in ana.months] == [D("90")] * 3
    assert ana.months[1].plans[1].saving == D("60")  # $150 - $90


def test_an_unfinished_month_is_counted_to_today_only(spend):
    from tests.factories import DailyCostFactory

    cy = spend["cy"]
    DailyCostFactory(developer=cy, day=date(2026, 12, 3), cost=D("8"))
    DailyCostFactory(developer=cy, day=date(2026, 12, 10), cost=D("99"))  # after "today": not counted
    advice = plan_advice(Developer.objects.filter(pk=cy.pk), [date(2026, 12, 1)], through=THROUGH)
    assert advice.partial_through == THROUGH
    assert advice.developers[0].spend == D("8")


def test_no_usage_in_the_window_advises_no_one(spend):
    advice = plan_advice(Developer.objects.all(), [date(2026, 1, 1)], through=THROUGH)
    assert (advice.developers, advice.spend, advice.mix, advice.by_month[0].counts) == ([], D("0"), D("0"), {})
