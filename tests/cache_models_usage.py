"""Rollups for the cache and models tests (selectors and pages), and the pages' test helpers.

The figures are worked out by hand in the docstrings of tests/rollups/test_cache_selectors.py
(``cache_usage``) and tests/rollups/test_model_mix_selectors.py (``mix_usage``).
"""
from datetime import date
from decimal import Decimal as D

from django.urls import reverse

from tests.factories import DailyCostFactory

SONNET, OPUS, HAIKU = "claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5"
SINCE, UNTIL = date(2026, 3, 1), date(2026, 3, 9)
RANGE = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}
K = 1_000


def cache_usage(ana, bo, cy) -> None:
    """Ana 70% (sonnet + opus), Bo 10% (mostly writes), Cy 25% (sonnet + an unpriced model)."""
    row = DailyCostFactory
    row(developer=ana, day=date(2026, 3, 2), model=SONNET, input_tokens=100 * K, cache_read_tokens=800 * K,
        cache_write_5m_tokens=100 * K, output_tokens=50 * K)
    row(developer=ana, day=date(2026, 3, 3), model=OPUS, input_tokens=200 * K, cache_read_tokens=600 * K,
        cache_write_1h_tokens=200 * K, output_tokens=10 * K)
    row(developer=bo, day=date(2026, 3, 2), model=SONNET, input_tokens=100 * K, cache_write_5m_tokens=800 * K,
        cache_read_tokens=100 * K)
    row(developer=cy, day=date(2026, 3, 4), model=SONNET, input_tokens=500 * K, cache_read_tokens=500 * K)
    row(developer=cy, day=date(2026, 3, 4), model="mystery-model", input_tokens=1000 * K, unpriced_requests=10,
        cost=D(0))


def mix_usage(ana, bo) -> None:
    """Ana: opus $12.00 + sonnet $2.25 on 03-02; Bo: opus $7.00 + an unpriced model on 03-03."""
    row = DailyCostFactory
    row(developer=ana, day=date(2026, 3, 2), model=OPUS, input_tokens=1000 * K, output_tokens=100 * K,
        cache_read_tokens=2000 * K, requests=10, cost=D("12.00"))
    row(developer=ana, day=date(2026, 3, 2), model=SONNET, input_tokens=500 * K, output_tokens=50 * K,
        requests=20, cost=D("2.25"))
    row(developer=bo, day=date(2026, 3, 3), model=OPUS, input_tokens=200 * K, output_tokens=200 * K,
        cache_write_1h_tokens=100 * K, requests=5, cost=D("7.00"))
    row(developer=bo, day=date(2026, 3, 3), model="mystery-model", input_tokens=10 * K, requests=3,
        unpriced_requests=3, cost=D(0))


def get_page(client, user, url: str, **params):
    """GET the page as ``user`` over RANGE unless the params say otherwise."""
    client.force_login(user)
    return client.get(url, {**RANGE, **params})


def table_html(html: str, table_id: str) -> str:
    """The HTML of the table with that id, up to its end."""
    return html[html.index(f'id="{table_id}"'):].split("</table>")[0]


def assert_sends_anonymous_to_login(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"
