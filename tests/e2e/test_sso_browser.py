"""Single sign-on in a real browser against a real OpenID provider started here.

The provider is the ``oidc-provider`` package from npm (pinned in e2e/oidc-provider/package-lock.json,
installed with ``npm ci`` when missing), run by e2e/oidc-provider/server.mjs on a free local port with one
client (this live server's /sso/callback/) and users read from a JSON file at each look-up, so a user's
groups change between two sign-ins by rewriting the file. Its tokens are real: signed with its own key,
fetched over HTTP by mozilla-django-oidc, checked by costdash. Nothing is mocked.

Chromium (Playwright, as tests/e2e/test_dashboard_browser.py drives it) signs in through the provider's own
login and consent pages; the test asserts the role from the group mapping and the linked developer, on the
pages and in the database, then signs in again after the groups changed, and sees the role change.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
import queue
import shutil
import subprocess
import threading

from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
import pytest

from costdash.accounts.models import Developer
from costdash.accounts.roles import ADMIN, BILLING, DEVELOPER, role_of
from costdash.dashboard.filters import org_today
from costdash.sso.config import discovery_clear
from costdash.sso.models import GroupRoleMapping, SsoAccount
from tests.e2e.test_dashboard_browser import ROOT, Visit, browser  # noqa: F401 (browser: the fixture)
from tests.factories import DailyCostFactory

pytestmark = pytest.mark.integration

PROVIDER_DIR = ROOT / "e2e" / "oidc-provider"
PACKAGE = "oidc-provider"
INSTALL_TIMEOUT = 300
START_TIMEOUT = 60
CLIENT_ID, CLIENT_SECRET = "costdash-e2e", "e2e-client-secret-not-for-production"
PROVIDER_NAME = "Example IdP"


def pinned_version() -> str:
    return json.loads((PROVIDER_DIR / "package.json").read_text())["dependencies"][PACKAGE]


@pytest.fixture(scope="module")
def provider_installed() -> Path:
    """The pinned oidc-provider in e2e/oidc-provider/node_modules (``npm ci`` from the lock file when missing)."""
    installed = PROVIDER_DIR / "node_modules" / PACKAGE / "package.json"
    if not installed.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(f"npm is not on PATH: it is needed to install {PACKAGE} into {PROVIDER_DIR} (npm ci)")
        result = subprocess.run([npm, "ci", "--prefix", str(PROVIDER_DIR), "--no-audit", "--no-fund"],
                                capture_output=True, text=True, timeout=INSTALL_TIMEOUT, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, f"npm ci failed:\n{result.stdout}\n{result.stderr}"
    version = json.loads(installed.read_text())["version"]
    if version != pinned_version():
        pytest.fail(f"{PACKAGE} {version} is installed but e2e/oidc-provider pins {pinned_version()}: "
                    "run npm ci --prefix e2e/oidc-provider")
    return PROVIDER_DIR


class OidcProvider:
    """server.mjs in a child process; ``users`` rewrites the file it reads its users from."""

    def __init__(self, users_file: Path, redirect_uri: str):
        self.users_file = users_file
        self.users({})
        node = shutil.which("node")
        if node is None:
            pytest.fail("node is not on PATH: the SSO test runs a local OpenID provider with it")
        env = {"PATH": os.environ.get("PATH", ""), "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
               "OIDC_REDIRECT_URIS": redirect_uri, "OIDC_USERS_FILE": str(users_file), "OIDC_PORT": "0"}
        self.stderr = (users_file.parent / "provider.log").open("w")
        self.process = subprocess.Popen([node, "server.mjs"], cwd=PROVIDER_DIR, env=env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in self.process.stdout], daemon=True).start()
        try:
            self.issuer = json.loads(lines.get(timeout=START_TIMEOUT))["issuer"]
        except queue.Empty:
            self.close()
            pytest.fail(f"the OpenID provider did not start in {START_TIMEOUT}s: {self.log()}")

    def users(self, users: dict) -> None:
        self.users_file.write_text(json.dumps(users))

    def log(self) -> str:
        self.stderr.flush()
        return (self.users_file.parent / "provider.log").read_text()

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.stderr.close()


@pytest.fixture
def provider(provider_installed, live_server, tmp_path, settings):
    """The provider, and costdash's settings pointed at it (discovery fetched afresh)."""
    idp = OidcProvider(tmp_path / "users.json", f"{live_server.url}/sso/callback/")
    settings.COSTDASH_BASE_URL = live_server.url  # the redirect URI is built on it
    settings.COSTDASH_SSO_ENABLED = True
    settings.COSTDASH_OIDC_ISSUER = idp.issuer
    settings.COSTDASH_OIDC_NAME = PROVIDER_NAME
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    discovery_clear()
    yield idp
    idp.close()
    discovery_clear()


class SsoVisit(Visit):
    """A Visit that may also go to the provider: its pages are the provider's (no costdash policy, no axe, and
    what they load from elsewhere, a web font, is refused without counting against costdash); every other
    address off the live server is still refused and recorded."""

    def __init__(self, chromium, base_url: str, name: str, provider_url: str, **options):
        self.provider_url = provider_url.rstrip("/")
        super().__init__(chromium, base_url, name, **options)

    def _on_provider(self, url: str) -> bool:
        return url.startswith(self.provider_url + "/")

    def _route(self, route) -> None:
        if self._on_provider(route.request.url):
            route.continue_()
        elif self._from_provider_page(route.request):
            route.abort()  # the provider's development login page asks for a web font: refused, not costdash's
        else:
            super()._route(route)

    def _from_provider_page(self, request) -> bool:
        try:
            return self._on_provider(request.frame.url) and request.resource_type != "document"
        except Exception:  # a request with no frame (a service worker's): costdash's rules apply
            return False

    def _console(self, message) -> None:
        if not self._on_provider(self.page.url):  # the provider's page logs the web font it was refused
            super()._console(message)

    def _csp_violation(self, text: str) -> None:
        if not self._on_provider(self.page.url):
            super()._csp_violation(text)

    def _response(self, response) -> None:
        if not self._on_provider(response.url):
            super()._response(response)

    def sign_in_with_provider(self, login: str | None) -> None:
        """From the login page, the "Sign in with" button; at the provider (when it asks) its login form
        and consent page; back on costdash."""
        self.goto("/login/?next=/")
        self.check_accessibility()
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
        if login is not None:
            assert self._on_provider(self.page.url), f"not at the provider: {self.page.url}"
            self.page.fill("input[name=login]", login)
            self.page.fill("input[name=password]", "not checked by the dev interactions")
            with self.page.expect_navigation():
                self.page.click("button[type=submit]")
            with self.page.expect_navigation(url=lambda url: url.startswith(self.base_url)):
                self.page.get_by_role("button", name="Continue").click()  # the provider's consent page
        self.page.wait_for_url(lambda url: url.startswith(self.base_url))

    def sign_out(self) -> None:
        with self.page.expect_navigation():
            self.page.locator("form[action='/logout/'] button").click()
        assert self.page.url.startswith(self.base_url + "/login/")


def nav_links(v: Visit) -> list[str]:
    return [text.strip() for text in v.page.locator("nav[aria-label=Main] .nav a").all_inner_texts()]


def test_sign_in_through_the_provider_maps_the_role_links_the_developer_and_follows_group_changes(
        provider, browser, live_server):  # noqa: F811 (fixtures)
    ana = Developer.objects.create(email="ana@example.com", name="Ana Lima")
    DailyCostFactory(developer=ana, day=org_today())
    GroupRoleMapping.objects.create(claim_value="costdash-admins", role=ADMIN)
    GroupRoleMapping.objects.create(claim_value="finance", role=BILLING)
    GroupRoleMapping.objects.create(claim_value="engineering", role=DEVELOPER)
    provider.users({
        "ana": {"email": "Ana@Example.com", "email_verified": True, "name": "Ana Lima", "groups": ["engineering"]},
        "cy": {"email": "cy@example.com", "email_verified": False, "name": "Cy", "groups": ["costdash-admins"]},
    })
    v = SsoVisit(browser, live_server.url, "sso", provider.issuer, viewport={"width": 1366, "height": 900})
    try:
        # First sign-in: a login is created, linked to Ana's developer, with the developer role.
        v.sign_in_with_provider("ana")
        assert v.page.url == live_server.url + "/", v.page.url
        assert v.page.locator("h1").inner_text() == "Your usage today"  # a developer's home: her own day
        assert "People" not in nav_links(v) and "Reports" not in nav_links(v)
        v.check_accessibility()
        v.screenshot("developer after first sign-in")
        ana.refresh_from_db()
        user = ana.user
        assert user is not None and user.email == "ana@example.com" and not user.has_usable_password()
        assert role_of(user) == DEVELOPER
        assert SsoAccount.objects.get(user=user).groups == ["engineering"]
        v.sign_out()

        # The provider now puts Ana in the admins' group (and finance): the highest role wins, at the next sign-in.
        provider.users({"ana": {"email": "ana@example.com", "email_verified": True, "name": "Ana Lima",
                                "groups": ["engineering", "finance", "costdash-admins"]}})
        v.sign_in_with_provider(None)  # still signed in at the provider, consent given: straight back
        assert v.page.url == live_server.url + "/", v.page.url
        assert v.page.locator("h1").inner_text() != "Your usage today"
        assert {"People", "Reports", "Sign-on roles"} <= set(nav_links(v))
        user = get_user_model().objects.get(pk=user.pk)
        assert role_of(user) == ADMIN and Developer.objects.get(user=user) == ana
        assert get_user_model().objects.filter(email__iexact="ana@example.com").count() == 1  # the same login

        # The admin sees the mapping page with the groups her sign-in brought.
        with v.page.expect_navigation():
            v.page.locator("nav[aria-label=Main] .nav").get_by_role("link", name="Sign-on roles").click()
        row = v.page.locator("#sso-sign-ins tbody tr").first
        assert "engineering" in row.inner_text() and "costdash-admins" in row.inner_text()
        assert "admin" in row.locator("td").nth(2).inner_text()
        v.check_accessibility()
        v.screenshot("admin after second sign-in")
        v.sign_out()

        # Dropped from admins, still in finance: billing.
        provider.users({"ana": {"email": "ana@example.com", "email_verified": True, "name": "Ana Lima",
                                "groups": ["finance"]}})
        v.sign_in_with_provider(None)
        assert "Reports" in nav_links(v) and "People" not in nav_links(v)
        assert role_of(get_user_model().objects.get(pk=user.pk)) == BILLING
        v.assert_clean()
    finally:
        v.close()


def test_an_unverified_email_is_refused_with_the_reason_on_the_login_page(provider, browser, live_server):  # noqa: F811
    Developer.objects.create(email="cy@example.com", name="Cy")
    GroupRoleMapping.objects.create(claim_value="costdash-admins", role=ADMIN)
    provider.users({"cy": {"email": "cy@example.com", "email_verified": False, "name": "Cy",
                           "groups": ["costdash-admins"]}})
    v = SsoVisit(browser, live_server.url, "sso-unverified", provider.issuer)
    try:
        v.sign_in_with_provider("cy")
        assert v.page.url.startswith(live_server.url + "/login/"), v.page.url
        assert "has not verified cy@example.com" in v.page.locator(".messages").inner_text()
        v.check_accessibility()
        v.screenshot("unverified e-mail refused")
        assert not get_user_model().objects.filter(email="cy@example.com").exists()
        assert Developer.objects.get(email="cy@example.com").user is None
        assert not AccessAttempt.objects.exists()  # a refused sign-in is no password failure: nothing to lock
        v.assert_clean()
    finally:
        v.close()
