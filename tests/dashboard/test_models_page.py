"""The models page: access matrix, the mix table, the what-if, charts as figure data, filters, empty states.

Same data as tests/rollups/test_model_mix_selectors.py (figures worked out there), with Ana the
developer persona:
  opus $19.00 (89.4% of $21.25), sonnet $2.25 (10.6%), mystery-model unpriced (3 requests).
  Opus -> Sonnet: on opus $15.50, on sonnet $9.30, difference -$6.20 (Ana -$3.40, Bo -$2.80).
  Opus -> Haiku 4.5 (input 1, cache write 1h 2, cache read 0.10, output 5 per MTok):
    Ana 1x1 + 0.1x5 + 2x0.10 = 1.70; Bo 0.2x1 + 0.2x5 + 0.1x2 = 1.40; total 3.10, difference -12.40.
"""
from datetime import date
from decimal import Decimal as D

from django.urls import reverse
import pytest

from tests.cache_models_usage import (
    HAIKU,
    OPUS,
    RANGE,
    SONNET,
    K,
    assert_sends_anonymous_to_login,
    get_page,
    mix_usage,
    table_html,
)
from tests.factories import DailyCostFactory, DeveloperFactory

URL = reverse("dashboard:models")


@pytest.fixture
def usage(developer_user):
    ana = developer_user.developer
    bo = DeveloperFactory(name="Bo Brannigan", email="bo@example.com")
    mix_usage(ana, bo)
    return ana, bo


def get(client, user, **params):
    return get_page(client, user, URL, **params)


def test_anonymous_is_sent_to_login(client):
    assert_sends_anonymous_to_login(client, URL)


@pytest.mark.parametrize("persona", ["admin_user", "billing_user"])
def test_admin_and_billing_see_every_model_and_developer(client, usage, persona, request):
    response = get(client, request.getfixturevalue(persona))
    assert response.status_code == 200
    html = response.content.decode()
    models = table_html(html, "models")
    assert models.index(OPUS) < models.index(SONNET) < models.index("mystery-model")
    assert "$19.00" in models and "89.4%" in models and "$2.25" in models and "10.6%" in models
    assert '<span class="over">unpriced</span>' in models  # the unknown model is not $0
    assert "3,600,000" in models  # opus tokens, every class
    assert "Some requests have no known price" in html
    totals = table_html(html, "what-if-totals")
    assert "Ana" in totals and "Bo Brannigan" in totals
    assert "$15.50" in totals and "$9.30" in totals and "-$6.20" in totals
    assert "-$3.40" in totals and "-$2.80" in totals and "$19.00" in totals
    assert "Estimates at standard rates" in html


def test_developer_sees_only_their_own(client, usage, developer_user):
    response = get(client, developer_user)
    html = response.content.decode()
    assert "Bo Brannigan" not in html and "mystery-model" not in html
    totals = table_html(html, "what-if-totals")
    assert "$8.50" in totals and "$5.10" in totals and "-$3.40" in totals
    assert response.context["mix"]["spend"] == D("14.25")


def test_outsider_sees_an_empty_state(client, usage, outsider_user):
    html = get(client, outsider_user).content.decode()
    assert "No developer is linked to your login" in html
    assert OPUS not in html and "data-chart" not in html and "plotly.min.js" not in html


def test_empty_state_says_what_to_import(client, admin_user):
    html = get(client, admin_user).content.decode()
    assert "No usage between Mar 1 and Mar 9, 2026" in html
    assert f'href="{reverse("ingest:upload")}"' in html and "data-chart" not in html


def test_the_what_if_defaults_to_the_costliest_model_on_sonnet(client, usage, admin_user):
    response = get(client, admin_user)
    assert (response.context["from_model"], response.context["to_model"]) == (OPUS, SONNET)
    html = response.content.decode()
    assert f'<option value="{OPUS}" selected>' in html and f'<option value="{SONNET}" selected>' in html


def test_the_what_if_models_come_from_the_url(client, usage, admin_user):
    response = get(client, admin_user, **{"from": OPUS, "to": HAIKU})
    comparison = response.context["comparison"]
    assert (comparison["what_if"], comparison["difference"]) == (D("3.10"), D("-12.40"))
    assert "-$12.40" in table_html(response.content.decode(), "what-if-totals")


def test_a_model_not_in_use_or_not_priced_is_refused(client, usage, admin_user):
    response = get(client, admin_user, **{"from": "claude-opus-4-1", "to": "claude-imaginary-9"})
    assert set(response.context["form"].errors) == {"from", "to"}
    assert "Some choices could not be used" in response.content.decode()
    assert (response.context["from_model"], response.context["to_model"]) == (OPUS, SONNET)


def test_model_mix_chart_by_spend(client, usage, admin_user):
    figure = get(client, admin_user).context["mix_figure"]
    assert figure["layout"]["barmode"] == "stack" and figure["layout"]["meta"]["bucket"] == "day"
    assert [t["name"] for t in figure["data"]] == [OPUS, SONNET, "mystery-model"]
    assert {t["type"] for t in figure["data"]} == {"bar"}
    opus = figure["data"][0]
    assert opus["x"][:3] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert opus["y"][:4] == [0, 12.0, 7.0, 0]
    assert "$%{y:,.2f}" in opus["hovertemplate"]
    assert figure["layout"]["yaxis"]["title"]["text"] == "USD per day"
    assert figure["layout"]["yaxis"]["tickprefix"] == "$"


def test_measure_tokens_in_the_url(client, usage, admin_user):
    response = get(client, admin_user, measure="tokens")
    figure = response.context["mix_figure"]
    opus = figure["data"][0]
    assert opus["y"][1:3] == [3_100_000, 500_000]
    assert "%{y:,} tokens" in opus["hovertemplate"]
    assert figure["layout"]["yaxis"]["title"]["text"] == "Tokens per day"
    html = response.content.decode()
    assert '<input type="hidden" name="measure" value="tokens">' in html
    # The toggle keeps the filters and the what-if choice.
    spend_link = response.context["measure_links"]["spend"]
    assert "since=2026-03-01" in spend_link and f"from={OPUS}" in spend_link and "measure=spend" in spend_link


def test_a_long_range_is_drawn_per_week(client, usage, admin_user):
    figure = get(client, admin_user, since="2026-01-01", until="2026-06-30").context["mix_figure"]
    assert figure["layout"]["meta"]["bucket"] == "week"
    opus = figure["data"][0]
    week = opus["x"].index("2026-03-02")  # a Monday: the week of Mar 2 holds both opus days
    assert opus["y"][week] == 19.0
    assert figure["layout"]["yaxis"]["title"]["text"] == "USD per week"


def test_what_if_chart(client, usage, admin_user):
    figure = get(client, admin_user).context["what_if_figure"]
    assert [t["name"] for t in figure["data"]] == [f"on {OPUS}", f"on {SONNET}"]
    assert figure["data"][0]["x"] == ["Ana", "Bo Brannigan"]
    assert figure["data"][0]["y"] == [8.5, 7.0] and figure["data"][1]["y"] == [5.1, 4.2]
    assert "$%{y:,.2f} (estimate)" in figure["data"][0]["hovertemplate"]
    assert figure["layout"]["yaxis"]["tickprefix"] == "$"


def test_filters_in_the_url_change_the_figures(client, usage, admin_user):
    _, bo = usage
    only_bo = get(client, admin_user, developer=str(bo.pk))
    assert only_bo.context["comparison"]["actual"] == D("7.00")
    assert only_bo.context["mix"]["spend"] == D("7.00")
    sonnet = get(client, admin_user, model=SONNET)
    assert [m["model"] for m in sonnet.context["mix"]["models"]] == [SONNET]
    assert sonnet.context["from_model"] == SONNET


def test_page_queries_do_not_grow_with_developers(client, admin_user, django_assert_max_num_queries):
    for n in range(40):
        dev = DeveloperFactory()
        for day in range(1, 10):
            DailyCostFactory(developer=dev, day=date(2026, 3, day), model=OPUS, input_tokens=n * K, cost=D(n))
    client.force_login(admin_user)
    client.get(URL, RANGE)  # warm the process-wide rate table
    with django_assert_max_num_queries(13):  # 12, and the filter bar's projects (issue 13)
        response = client.get(URL, RANGE)
    assert len(response.context["comparison"]["developers"]) == 40


def test_the_what_if_table_shows_a_page_of_developers_at_a_time(client, usage, admin_user, monkeypatch):
    from costdash.dashboard.views import model_mix as view

    monkeypatch.setattr(view, "DEVELOPERS_PER_PAGE", 1)
    first = get(client, admin_user, measure="tokens")
    html = first.content.decode()
    assert "Ana" in table_html(html, "what-if-totals") and "Bo Brannigan" not in table_html(html, "what-if-totals")
    assert "Developers 1–1 of 2 (page 1 of 2)" in html and "measure=tokens" in html
    second = get(client, admin_user, measure="tokens", page="2")
    table = table_html(second.content.decode(), "what-if-totals")
    assert "Bo Brannigan" in table and "Ana<" not in table
    assert second.context["comparison"]["actual"] == D("15.50")  # the total is everyone's
