"""The cache page: access matrix, hand-computed figures, charts as figure data, filters, empty states.

Same data as tests/rollups/test_cache_selectors.py (figures worked out there), with Ana the
developer persona. Real rates from costdash/pricing/rates.toml (loaded into ModelPrice by migrate).
  Ana 70% (saved $3.785), Bo 10% (saved -$0.33), Cy 25% (saved $1.35 + an unpriced model)
  Per day: 03-02 45%, 03-03 60%, 03-04 25%. Total 40%, saved $4.805 -> "$4.81".
  Team P75 47.5%: Bo would save $1.0125 ("$1.01"), Cy $0.6075 ("$0.61").
"""
from datetime import date
from decimal import Decimal as D
import json

from django.urls import reverse
import pytest

from tests.cache_models_usage import (
    OPUS,
    RANGE,
    K,
    assert_sends_anonymous_to_login,
    cache_usage,
    get_page,
    table_html,
)
from tests.factories import DailyCostFactory, DeveloperFactory

URL = reverse("dashboard:cache")


@pytest.fixture
def usage(developer_user):
    ana = developer_user.developer
    bo = DeveloperFactory(name="Bo Brannigan", email="bo@example.com")
    cy = DeveloperFactory(name="Cy Cartwright", email="cy@example.com")
    cache_usage(ana, bo, cy)
    return ana, bo, cy


def get(client, user, **params):
    return get_page(client, user, URL, **params)


def test_anonymous_is_sent_to_login(client):
    assert_sends_anonymous_to_login(client, URL)


@pytest.mark.parametrize("persona", ["admin_user", "billing_user"])
def test_admin_and_billing_see_everyone_with_the_figures(client, usage, persona, request):
    response = get(client, request.getfixturevalue(persona))
    assert response.status_code == 200
    html = response.content.decode()
    assert "40.0%" in html  # team hit rate
    assert "$4.81" in html  # saved, estimate
    assert "estimate at standard rates" in html
    table = table_html(html, "cache-developers")
    assert table.index("Bo") < table.index("Cy") < table.index("Ana")  # lowest hit rate first
    assert '<td class="num over">-$0.33' in table  # negative saving shown, in red
    assert "$3.79" in table and "70.0%" in table
    ranking = table_html(html, "cache-ranking")
    assert ranking.index("Bo") < ranking.index("Cy") and "Ana" not in ranking
    assert "$1.01" in ranking and "$0.61" in ranking and "375,000" in ranking and "450,000" in ranking
    assert "47.5%" in html  # the P75 target
    assert "mystery-model" in html and "no known price" in html


def test_developer_sees_only_their_own(client, usage, developer_user):
    response = get(client, developer_user)
    html = response.content.decode()
    assert "Ana" in html and "Bo Brannigan" not in html and "Cy Cartwright" not in html and "mystery-model" not in html
    assert "70.0%" in html and "$3.79" in html
    assert [trace["y"] for trace in response.context["developer_figure"]["data"]] == [["Ana"]]


def test_a_developer_cannot_see_someone_else_through_the_url(client, usage, developer_user):
    _, bo, _ = usage
    html = get(client, developer_user, developer=str(bo.pk)).content.decode()
    assert "Some filters could not be used" in html
    assert "Bo Brannigan" not in html and "$3.79" in html


def test_outsider_sees_an_empty_state(client, usage, outsider_user):
    html = get(client, outsider_user).content.decode()
    assert "No developer is linked to your login" in html
    assert "Ana" not in html and "data-chart" not in html and "plotly.min.js" not in html


def test_empty_state_says_what_to_import(client, admin_user):
    html = get(client, admin_user).content.decode()
    assert "No usage between Mar 1 and Mar 9, 2026" in html
    assert f'href="{reverse("ingest:upload")}"' in html and "data-chart" not in html


def test_hit_rate_per_day_chart(client, usage, admin_user):
    response = get(client, admin_user)
    figure = response.context["day_figure"]
    (trace,) = figure["data"]
    assert trace["type"] == "scatter"
    assert trace["x"][0] == "2026-03-01" and trace["x"][-1] == "2026-03-09" and len(trace["x"]) == 9
    assert trace["y"] == [None, 45.0, 60.0, 25.0, None, None, None, None, None]  # no usage: a gap, not 0%
    assert trace["customdata"][1] == [900 * K, 2000 * K]
    assert "%{y:.1f}% cache hit rate" in trace["hovertemplate"]
    assert figure["layout"]["yaxis"]["title"]["text"] == "Cache hit rate (%)"
    assert figure["layout"]["yaxis"]["ticksuffix"] == "%"
    html = response.content.decode()
    assert 'data-chart="cache-day-chart"' in html and "plotly.min.js" in html
    embedded = html.split('<script id="cache-day-chart" type="application/json">')[1].split("</script>")[0]
    assert json.loads(embedded) == figure


def test_hit_rate_per_developer_chart_with_the_target_line(client, usage, admin_user):
    figure = get(client, admin_user).context["developer_figure"]
    (trace,) = figure["data"]
    assert (trace["type"], trace["orientation"]) == ("bar", "h")
    assert trace["y"] == ["Bo Brannigan", "Cy Cartwright", "Ana"]
    assert trace["x"] == [10.0, 25.0, 70.0]
    assert trace["customdata"][0][0] == "-$0.33"
    assert "saved %{customdata[0]} (estimate)" in trace["hovertemplate"]
    assert figure["layout"]["xaxis"]["ticksuffix"] == "%"
    (line,) = figure["layout"]["shapes"]
    assert line["x0"] == line["x1"] == 47.5
    assert figure["layout"]["annotations"][0]["text"] == "Target 47.5%"


def test_a_chosen_target_in_the_url_ranks_against_it(client, usage, admin_user):
    # Target 80%: Bo $1.89, Cy $1.485 -> "$1.49", Ana $0.72 (worked out in the selector tests).
    response = get(client, admin_user, target="80")
    ranking = table_html(response.content.decode(), "cache-ranking")
    assert ranking.index("Bo") < ranking.index("Cy") < ranking.index("Ana")
    assert "$1.89" in ranking and "$1.49" in ranking and "$0.72" in ranking
    assert response.context["developer_figure"]["layout"]["shapes"][0]["x0"] == 80.0


def test_a_bad_target_falls_back_to_the_p75_with_an_error(client, usage, admin_user):
    html = get(client, admin_user, target="150").content.decode()
    assert "That target could not be used" in html
    assert "$1.01" in table_html(html, "cache-ranking")


def test_filters_in_the_url_change_the_figures(client, usage, admin_user):
    _, bo, _ = usage
    opus = get(client, admin_user, model=OPUS)
    assert opus.context["overview"]["summary"]["hit_rate"] == D("0.6")
    assert "$1.70" in opus.content.decode()
    only_bo = get(client, admin_user, developer=str(bo.pk)).content.decode()
    assert "-$0.33" in only_bo and "Ana" not in table_html(only_bo, "cache-developers")
    later = get(client, admin_user, since="2026-03-04", until="2026-03-04")
    assert later.context["day_figure"]["data"][0]["y"] == [25.0]


def test_page_queries_do_not_grow_with_developers(client, admin_user, django_assert_max_num_queries):
    for n in range(40):
        dev = DeveloperFactory()
        for day in range(1, 10):
            DailyCostFactory(developer=dev, day=date(2026, 3, day), input_tokens=n * K, cache_read_tokens=K)
    client.force_login(admin_user)
    client.get(URL, RANGE)  # warm the process-wide rate table
    with django_assert_max_num_queries(13):  # 12, and the filter bar's projects (issue 13)
        response = client.get(URL, RANGE)
    assert len(response.context["overview"]["developers"]) == 40


def test_the_tables_show_a_page_of_developers_at_a_time(client, usage, admin_user, monkeypatch):
    """Each table shows DEVELOPERS_PER_PAGE rows (its own ?page= / ?ranking_page=), keeping the filters,
    the target and the other table's page; the CSV still has everyone."""
    from costdash.dashboard.views import cache as view

    monkeypatch.setattr(view, "DEVELOPERS_PER_PAGE", 2)
    first = get(client, admin_user, target="60")
    html = first.content.decode()
    table = table_html(html, "cache-developers")
    assert "Bo" in table and "Cy" in table and "Ana" not in table  # lowest hit rates first
    assert "Developers 1–2 of 3 (page 1 of 2)" in html
    assert "target=60" in html and "page=2" in html
    second = get(client, admin_user, target="60", page="2", ranking_page="1")
    table = table_html(second.content.decode(), "cache-developers")
    assert "Ana" in table and "Bo" not in table
    assert [dev["developer"] for dev in second.context["ranked"]] == ["Bo Brannigan", "Cy Cartwright"]
    assert len(second.context["overview"]["developers"]) == 3
    csv = get(client, admin_user, format="csv", page="2")
    text = b"".join(csv.streaming_content).decode()
    assert text.count("\n") == 4 or text.count("\r\n") == 4  # a header and every developer
