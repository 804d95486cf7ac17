"""API token hygiene: an expiry chosen at creation (default COSTDASH_API_TOKEN_DAYS, 90; "never" for admins
only), expired tokens refused with a 401 that says so, last use shown, and a request rate per token
(COSTDASH_API_TOKEN_RATE) answered past it with 429 and Retry-After, counted in the cache: on Redis, one count
for every process."""
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
import os
from pathlib import Path
import re
import subprocess
import sys

from django.core.cache import cache
from django.utils import timezone
import pytest
from rest_framework.test import APIClient

from costdash.api.models import ApiToken
from costdash.api.services import api_token_create
from costdash.lib.rates import rate_hit
from tests.celery_workers import redis_url_or_fail

pytestmark = pytest.mark.django_db
URL = "/api/v1/developers/"
ROOT = Path(__file__).resolve().parents[2]


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def make(client, **data):
    return client.post("/api/tokens/", {"name": "script", **data})


def test_a_token_expires_in_90_days_unless_another_expiry_is_chosen(client, developer_user):
    client.force_login(developer_user)
    page = client.get("/api/tokens/").content.decode()
    assert '<option value="90" selected>90 days</option>' in page and 'value="never"' not in page
    before = timezone.now()
    assert make(client).status_code == 200
    token = ApiToken.objects.get()
    assert before + timedelta(days=90) <= token.expires_at <= timezone.now() + timedelta(days=90)
    assert make(client, expires="7").status_code == 200
    week = ApiToken.objects.exclude(pk=token.pk).get()
    assert abs(week.expires_at - week.created_at - timedelta(days=7)) < timedelta(seconds=1)
    listing = client.get("/api/tokens/").content.decode()
    assert f"<td>{timezone.localtime(token.expires_at):%Y-%m-%d %H:%M}</td>" in listing


@pytest.mark.parametrize("persona", ["developer_user", "billing_user"])
def test_never_is_refused_for_anyone_but_admins(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    refused = make(client, expires="never")
    assert refused.status_code == 400 and "Only admins may make a token that never expires" in refused.content.decode()
    assert make(client, expires="forever").status_code == 400 and make(client, expires="0").status_code == 400
    assert not ApiToken.objects.exists()


def test_admins_may_make_a_token_that_never_expires(client, admin_user):
    client.force_login(admin_user)
    assert '<option value="never">Never (admins only)</option>' in client.get("/api/tokens/").content.decode()
    assert make(client, expires="never").status_code == 200
    token = ApiToken.objects.get()
    assert token.expires_at is None and not token.expired
    assert "<td>never</td>" in client.get("/api/tokens/").content.decode()


def test_an_expired_token_is_refused_with_a_401_that_says_so(client, developer_user):
    token, secret = api_token_create(user=developer_user, name="old script", days=1)
    api = bearer(secret)
    assert api.get(URL).status_code == 200
    ended = timezone.now() - timedelta(seconds=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=ended, last_used_at=None)
    refused = api.get(URL)
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == 'Bearer realm="costdash API"'
    assert refused.json()["detail"] == (f"This API token expired on {ended:%Y-%m-%d %H:%M} UTC: make a new one on "
                                        "the API tokens page (/api/tokens/).")
    assert ApiToken.objects.get().last_used_at is None  # a refused call is no use
    client.force_login(developer_user)
    assert f"expired {ended:%Y-%m-%d}" in client.get("/api/tokens/").content.decode()


def test_last_use_is_shown(client, developer_user):
    token, secret = api_token_create(user=developer_user, name="t")
    client.force_login(developer_user)
    assert re.search(r"<td>never</td>\s*<td>active</td>", client.get("/api/tokens/").content.decode())
    assert bearer(secret).get(URL).status_code == 200
    used = ApiToken.objects.get().last_used_at
    assert f"<td>{timezone.localtime(used):%Y-%m-%d %H:%M}</td>" in client.get("/api/tokens/").content.decode()


def test_past_its_rate_a_token_gets_429_with_retry_after(client, developer_user, settings):
    settings.COSTDASH_API_TOKEN_RATE = "3/minute"
    _, secret = api_token_create(user=developer_user, name="busy")
    _, other = api_token_create(user=developer_user, name="calm")
    busy = bearer(secret)
    assert [busy.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    refused = busy.get(URL)
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    assert f"Expected available in {refused['Retry-After']} second" in refused.json()["detail"]
    assert bearer(other).get(URL).status_code == 200  # per token
    client.force_login(developer_user)
    assert all(client.get(URL).status_code == 200 for _ in range(5))  # a browser session is not counted


def test_retry_after_is_the_rest_of_the_window():
    at = 1_000_000 * 60 + 45.2  # 45.2 s into a minute
    cache.delete_many([f"rate:test:window:60:{int(at // 60) + n}" for n in (0, 1)])
    assert [rate_hit("test:window", "2/minute", now=at) for _ in range(3)] == [None, None, 15]
    assert rate_hit("test:window", "2/minute", now=at + 14.5) == 1  # 0.3 s left: never 0
    assert rate_hit("test:window", "2/minute", now=at + 15.0) is None  # the next minute


@pytest.fixture
def redis_cache(settings):
    """The cache on the test Redis, as production has it with REDIS_URL; emptied of this test's counters."""
    url = redis_url_or_fail()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                                   "KEY_PREFIX": f"costdash-test-{os.getpid()}"}}
    return url


def test_on_redis_every_process_counts_into_one_counter(redis_cache):
    at = 2_000_000 * 60 + 1.0
    script = ("import django; django.setup(); from costdash.lib.rates import rate_hit; "
              f"print([rate_hit('test:shared', '5/minute', now={at}) for _ in range(3)])")
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "costdash.settings", "DJANGO_DEBUG": "true", "REDIS_URL": redis_cache}
    env.pop("DATABASE_URL", None)  # counting needs no database
    # The other process prefixes its keys as settings do ("costdash"); count here under the same prefix.
    from django.test import override_settings
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                               "LOCATION": redis_cache, "KEY_PREFIX": "costdash"}}):
        cache.delete(f"rate:test:shared:60:{int(at // 60)}")
        other = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=120)
        assert other.returncode == 0, other.stderr
        assert other.stdout.strip().splitlines()[-1] == "[None, None, None]"
        assert [rate_hit("test:shared", "5/minute", now=at) for _ in range(3)] == [None, None, 59]
        cache.delete(f"rate:test:shared:60:{int(at // 60)}")


def test_on_redis_concurrent_requests_are_counted_exactly(redis_cache):
    at = 3_000_000 * 60 + 30.0
    cache.delete(f"rate:test:race:60:{int(at // 60)}")
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: rate_hit("test:race", "100/minute", now=at), range(160)))
    assert answers.count(None) == 100 and answers.count(30) == 60
    cache.delete(f"rate:test:race:60:{int(at // 60)}")
