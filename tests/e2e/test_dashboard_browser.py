"""The dashboard in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

A small real import (the demo team's transcripts, ``demo_load``, two weeks to today) fills
pytest-django's ``live_server``; an admin logs in through the login form, goes through every page
by the navigation bar, changes filters in the filter bar, and each chart must have been DRAWN by
plotly.js (an SVG with traces), not merely embedded as JSON. Every request the browser makes must
go to the live server (anything else is recorded, then refused), and the pages must log no
JavaScript error. Every page is served with a Content-Security-Policy and none of them (the Django
admin and the Swagger UI included) may break it: each ``securitypolicyviolation`` event is recorded. A phone-width (390x844) pass checks that the Overview fits the screen and that its
navigation and table can be used.

Full-page screenshots of every step go to ``$COSTDASH_ARTIFACTS_DIR/screenshots`` (default
``tests/artifacts/screenshots``), to look at after a run (CI keeps them as artifacts).

Chromium is never downloaded: a missing /usr/bin/chromium (``apt-get install -y chromium``) FAILS
the test, as a missing PostgreSQL or Redis fails the suite.
"""
from __future__ import annotations

from datetime import timedelta
import os
from pathlib import Path
import re

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
import pytest

from costdash.accounts.models import Developer
from costdash.alerts.defaults import rules_create_defaults
from costdash.alerts.models import AlertEvent, AlertRule
from costdash.dashboard.filters import org_today
from costdash.demo.services import demo_admin_ensure, demo_load
from costdash.reports.selectors import last_month
from costdash.reports.services import report_build, report_request
from costdash.rollups.models import DailyCost

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("COSTDASH_CHROMIUM", "/usr/bin/chromium"))
# As root in a container: no sandbox; no background requests to Google's hosts (the network is closed).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage", "--disable-gpu",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(os.environ.get("COSTDASH_ARTIFACTS_DIR") or ROOT / "tests" / "artifacts") / "screenshots"
PASSWORD = "e2e-admin-password-1"
DAYS = 14
TIMEOUT_MS = 20_000
PHONE = (390, 844)
# The dashboard pages with charts from the start, as the navigation bar names them (Limits needs a limit first).
PAGES = ("Overview", "Developers", "Cache", "Models", "Projects")

# Every [data-chart] element: did plotly.js draw it, with how many traces and drawn trace groups.
CHARTS_JS = """
() => Array.from(document.querySelectorAll('[data-chart]')).map(el => {
  const plot = el.classList.contains('js-plotly-plot') ? el : el.querySelector('.js-plotly-plot');
  return {
    id: el.getAttribute('data-chart'),
    plotted: !!plot && !!plot.querySelector('.main-svg'),
    traces: plot && plot.data ? plot.data.length : 0,
    points: plot && plot.data ? plot.data.reduce(
      (n, t) => n + ((t.y || t.values || t.x || t.z || []).length || 0), 0) : 0,
    drawn: plot ? plot.querySelectorAll('.main-svg g.trace, .main-svg g.slice, .main-svg g.hm image').length : 0,
  };
})
"""

# The outermost elements that reach past the screen's right edge (for the failure message).
WIDE_JS = """
(width) => {
  const scrolls = el => {  // inside a box that scrolls or clips sideways (a .table-wrap): not the page's width
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    }
    return false;
  };
  const wide = Array.from(document.querySelectorAll('body *'))
    .filter(el => el.getBoundingClientRect().right > width + 1 && !scrolls(el));
  return wide.filter(el => !wide.includes(el.parentElement)).slice(0, 5).map(el =>
    el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim().split(/ +/).join('.') : '')
    + ' right=' + Math.round(el.getBoundingClientRect().right));
}
"""

# axe-core (static/vendor/axe.min.js, never on a normal page): injected by the test into each page it looks at,
# by its URL on the live server (an inline copy, add_script_tag(path=...), is refused by the pages' script-src 'self').
AXE_JS = "/static/vendor/axe.min.js"
# Rules only the vendors' own markup breaks, turned off on their pages alone (never on costdash's templates):
# Django's admin (its split date / time inputs have no label each; its filter_horizontal help icon carries an
# aria-label on a span) and Swagger UI (an operation's summary is a button holding the copy-path button).
VENDOR_RULES = {"/admin/": ["label", "aria-prohibited-attr"], "/api/docs/": ["nested-interactive"]}
# WCAG 2.0 / 2.1 A and AA rules (colour contrast included); only serious and critical violations fail.
AXE_RUN_JS = """
async (disabled) => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations'],
    rules: Object.fromEntries(disabled.map(id => [id, {enabled: false}]))});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v =>
    `${v.id} (${v.impact}): ${v.help}; ` + v.nodes.slice(0, 3).map(n => n.target.join(' ')
      + (n.any[0] && n.any[0].message ? ` [${n.any[0].message}]` : '')).join(' | '));
}
"""

# Runs in every page before its own scripts: reports each Content-Security-Policy violation to the test.
CSP_LISTENER_JS = """
document.addEventListener('securitypolicyviolation', (e) => window.costdashCspViolation(
  `${e.violatedDirective} refused ${e.blockedURI || 'inline'} in ${e.sourceFile || document.URL}:${e.lineNumber}`
  + (e.sample ? ` (${e.sample})` : '')));
"""


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it (apt-get install -y chromium) or set "
                    "COSTDASH_CHROMIUM. The test never downloads a browser.")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make between
    # browser steps are ordinary synchronous calls, so Django's async-context guard is lifted here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def team(transactional_db):
    """The demo team's last two weeks, imported through the real import path, and an admin login. The
    default alert rules first (a transactional test empties every table, the migration's rows too)."""
    rules_create_defaults(AlertRule)
    result = demo_load(end=timezone.now().date(), days=DAYS)
    assert result.requests_total > 0 and not result.failed_batches, result
    username, _ = demo_admin_ensure(PASSWORD)
    return username


class Visit:
    """A browser tab on the live server that records every request and JavaScript error."""

    def __init__(self, browser, base_url: str, name: str, **context_options):
        self.base_url, self.name = base_url.rstrip("/"), name
        self.context = browser.new_context(**context_options)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.csp_violations: list[str] = []
        self.pages_without_csp: list[str] = []
        self.inaccessible: list[str] = []  # serious or critical axe-core violations, per page
        self.checked: set[str] = set()
        self.shots = 0
        self.context.route("**/*", self._route)
        self.context.expose_function("costdashCspViolation", self._csp_violation)
        self.context.add_init_script(CSP_LISTENER_JS)
        self.context.on("response", self._response)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(f"{self.page.url}: {exc}"))
        self.page.on("console", self._console)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for old in ARTIFACTS.glob(f"{name}-*.png"):  # a previous run's, which may have had more steps
            old.unlink()

    def _route(self, route) -> None:
        url = route.request.url
        self.requests.append(url)
        if url.startswith(self.base_url + "/") or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            route.abort()  # recorded above; the test fails on it

    def _csp_violation(self, text: str) -> None:
        if AXE_JS not in text:  # the test's own axe-core (a style it adds while checking) is not the page's
            self.csp_violations.append(f"{self.page.url}: {text}")

    def _response(self, response) -> None:
        if response.request.resource_type == "document" and "content-security-policy" not in response.headers:
            self.pages_without_csp.append(f"{response.url} (HTTP {response.status})")

    def _console(self, message) -> None:
        if AXE_JS in (message.location or {}).get("url", ""):
            return  # the test's own axe-core, refused a style it adds while checking: not the page's
        if message.type == "error":
            self.errors.append(f"{self.page.url}: console: {message.text}")

    def outside_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith((self.base_url + "/", "data:", "blob:"))]

    def goto(self, path: str):
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.ok, f"{path}: HTTP {response.status if response else '?'}"
        return response

    def login(self, username: str, password: str) -> None:
        self.goto(reverse("login") + "?next=/")
        self.check_accessibility()
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        with self.page.expect_navigation():
            self.page.click("form button[type=submit]")
        assert self.page.url == self.base_url + "/", f"login did not land on the dashboard: {self.page.url}"
        assert self.page.locator("nav[aria-label=Main] .nav").is_visible()

    def charts(self) -> list[dict]:
        """Wait until plotly.js has drawn every chart on the page, then describe each."""
        count = self.page.locator("[data-chart]").count()
        if count:
            self.page.wait_for_function(
                "() => Array.from(document.querySelectorAll('[data-chart]')).every("
                "el => el.querySelector('.main-svg'))"
            )
        return self.page.evaluate(CHARTS_JS)

    def check_accessibility(self) -> None:
        """Run axe-core on the page as it is now (once per URL), recording serious and critical violations."""
        url = self.page.url
        if url in self.checked:
            return
        self.checked.add(url)
        self.page.wait_for_load_state("load")
        self.charts()  # the charts drawn: their SVG is checked too
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(url=self.base_url + AXE_JS)
        path = url.removeprefix(self.base_url)
        disabled = [rule for prefix, rules in VENDOR_RULES.items() if path.startswith(prefix) for rule in rules]
        self.inaccessible += [f"{url}: {text}" for text in self.page.evaluate(AXE_RUN_JS, disabled)]

    def screenshot(self, label: str) -> Path:
        self.check_accessibility()
        self.shots += 1
        path = ARTIFACTS / f"{self.name}-{self.shots:02d}-{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_clean(self) -> None:
        """Nothing left the machine, no JavaScript error, every page had its policy and broke none of it."""
        assert self.outside_requests() == [], "requests left the machine"
        assert self.csp_violations == [], "Content-Security-Policy violations"
        assert self.pages_without_csp == [], "pages served without a Content-Security-Policy"
        assert self.errors == []
        assert self.inaccessible == [], "axe-core: serious or critical accessibility violations:\n" + "\n".join(
            self.inaccessible)

    def close(self) -> None:
        self.context.close()


def assert_charts_drawn(visit: Visit, where: str, *, at_least: int = 1) -> list[dict]:
    charts = visit.charts()
    assert len(charts) >= at_least, f"{where}: expected a chart, found {len(charts)}"
    for chart in charts:
        assert chart["plotted"], f"{where}: chart {chart['id']} was not drawn: {chart}"
        assert chart["traces"] > 0 and chart["points"] > 0, f"{where}: chart {chart['id']} has no data: {chart}"
        assert chart["drawn"] > 0, f"{where}: chart {chart['id']} drew no trace: {chart}"
    return charts


def hover_text(visit: Visit, chart: str) -> str:
    """Point the mouse at the first drawn bar or marker of ``chart``; return the hover label plotly.js shows."""
    visit.page.locator(f"{chart} .main-svg g.trace g.point path").first.hover(force=True)  # the drag layer above it takes the events
    label = visit.page.locator(f"{chart} .hoverlayer .hovertext").first
    label.wait_for(timeout=5_000)
    return label.text_content()


def apply_filter(visit: Visit, name: str, label: str) -> None:
    """Pick ``label`` in the filter bar's ``name`` select and submit the bar."""
    bar = visit.page.locator("form.filters[aria-label=Filters]")
    bar.locator(f"select[name={name}]").select_option(label=label)
    with visit.page.expect_navigation():
        bar.get_by_role("button", name="Apply").click()


def nav_to(visit: Visit, label: str) -> None:
    with visit.page.expect_navigation():
        visit.page.locator("nav[aria-label=Main] .nav").get_by_role("link", name=label, exact=True).click()
    assert visit.page.locator(f"nav[aria-label=Main] a[aria-current=page]:text-is('{label}')").count() == 1
    visit.check_accessibility()


@pytest.fixture
def visit(browser, live_server):
    opened: list[Visit] = []

    def open_visit(name: str, **options) -> Visit:
        opened.append(Visit(browser, live_server.url, name, **options))
        return opened[-1]

    yield open_visit
    for v in opened:
        v.close()


def test_every_page_draws_its_charts_and_filters_keep_in_the_url(team, visit):
    v = visit("desktop", viewport={"width": 1366, "height": 900})
    v.login(team, PASSWORD)
    for label in PAGES:
        nav_to(v, label)
        assert_charts_drawn(v, label)
        v.screenshot(label)
    # Hovering a bar of the Overview's daily chart shows its details, in dollars.
    nav_to(v, "Overview")
    assert re.search(r"\$\d", hover_text(v, "[data-chart]"))
    # Drill-down keeps its range (the default, then one typed in): the Overview's top spender's figure is the
    # total on the page their link opens, to the cent.
    for since in ("", (org_today() - timedelta(days=9)).isoformat()):
        if since:
            v.page.fill("form.filters[aria-label=Filters] input[name=since]", since)
            with v.page.expect_navigation():
                v.page.locator("form.filters[aria-label=Filters]").get_by_role("button", name="Apply").click()
        top = v.page.locator("#top-spenders tbody tr").first
        spend = top.locator("td.num").first.inner_text()
        with v.page.expect_navigation():
            top.locator("th a").click()
        assert v.page.locator("#kpi-spend .stat__value").inner_text() == spend, f"since={since or 'default'}"
        v.check_accessibility()
        nav_to(v, "Overview")  # the nav keeps the range: the same top spender

    # Limits: none yet, so the admin sets the org's monthly limit in the page's form; then spend against it is drawn.
    nav_to(v, "Limits")
    assert v.page.locator("[data-chart]").count() == 0
    v.screenshot("limits before any")
    v.page.fill("input[name=amount]", "2000")
    with v.page.expect_navigation():
        v.page.get_by_role("button", name="Save the limit").click()
    assert_charts_drawn(v, "limits")
    assert v.page.locator(".status").first.is_visible()
    v.screenshot("limits")

    # Reports: the nav opens last month's; this month (provisional: the demo ends today) draws its three charts,
    # and its CSV export downloads a kept file.
    nav_to(v, "Reports")
    this_month = org_today()
    v.goto(f"{reverse('reports:month')}?month={this_month:%Y-%m}")
    assert v.page.locator("#provisional").is_visible()
    assert_charts_drawn(v, "reports", at_least=3)
    v.screenshot("reports")
    with v.page.expect_download() as download:
        v.page.get_by_role("button", name="CSV", exact=True).click()
    assert download.value.suggested_filename == f"costdash-{this_month:%Y-%m}-developers-provisional.csv"
    # The workbook is built as a task (in-process here: tests run tasks eagerly), then listed ready to download.
    with v.page.expect_navigation():
        v.page.get_by_role("button", name="Excel workbook").click()
    assert "being built" in v.page.locator(".messages").inner_text()
    with v.page.expect_download() as download:
        v.page.locator("#generated-files a", has_text=".xlsx").first.click()
    assert download.value.suggested_filename == f"costdash-{this_month:%Y-%m}-provisional.xlsx"
    # A file still building (its worker has not taken it yet): the page polls (static/js/report_progress.js)
    # and shows its download link by itself once the build is done.
    waiting = report_request(this_month, "xlsx")
    v.goto(f"{reverse('reports:month')}?month={this_month:%Y-%m}")
    assert v.page.locator("#generated-files .status--running").count() == 1
    report_build(waiting.pk)
    v.page.locator(f"#generated-files a[href='{reverse('reports:download', args=[waiting.pk])}']").wait_for()
    assert v.page.locator("#generated-files .status--running").count() == 0

    # Closing: last month (over, final) is closed from its Reports page; a later import into it leaves its
    # report as closed and shows "changed since close" with the breakdown; this month carries the adjustment.
    closed = last_month(this_month)
    v.goto(f"{reverse('reports:month')}?month={closed:%Y-%m}")
    assert v.page.locator("#month-status").inner_text() == "Final"
    closed_spend = v.page.locator("#summary ~ .stats .stat__value").first.inner_text()
    v.page.fill("form[action='/reports/close/'] input[name=note]", "books closed")
    with v.page.expect_navigation():
        v.page.get_by_role("button", name=f"Close {closed:%B %Y}").click()
    assert v.page.locator("#month-status").inner_text() == "Closed"
    assert "Closed by" in v.page.locator("#closed-by").inner_text()
    assert v.page.locator("#changed-since-close").count() == 0
    late = demo_load(end=closed.replace(day=25), days=3, seed=8)  # the real import path, into the closed month
    assert late.requests_total > 0 and not late.failed_batches, late
    v.goto(f"{reverse('reports:month')}?month={closed:%Y-%m}")
    assert re.search(r"Changed since close: \+\$\d", v.page.locator("#changed-since-close").inner_text())
    assert v.page.locator("#changes-since-close tbody tr").count() > 0
    assert v.page.locator("#summary ~ .stats .stat__value").first.inner_text() == closed_spend  # the snapshot
    v.screenshot("reports changed since close")
    v.goto(f"{reverse('reports:month')}?month={this_month:%Y-%m}")
    assert closed.strftime("%B %Y") in v.page.locator("table#adjustments").inner_text()

    # Developers: filter to one developer, the table keeps only them, then open their page.
    nav_to(v, "Developers")
    ana = Developer.objects.filter(daily_costs__isnull=False).order_by("name").first()
    apply_filter(v, "developer", ana.display_name)
    assert f"developer={ana.pk}" in v.page.url
    rows = v.page.locator("table").first.locator("tbody tr")
    assert rows.count() == 1 and ana.display_name in rows.first.inner_text()
    v.screenshot("developers filtered to one")
    with v.page.expect_navigation():
        rows.first.get_by_role("link", name=ana.display_name).click()
    assert v.page.url.startswith(f"{v.base_url}{reverse('dashboard:developer', args=[ana.pk])}")
    charts = assert_charts_drawn(v, f"developer page of {ana.display_name}")
    assert "when-chart" in [c["id"] for c in charts], "the developer page has no When heatmap"
    v.screenshot("developer page")

    # Sessions: the most expensive, each opening its page and its timeline.
    nav_to(v, "Sessions")
    v.screenshot("sessions")
    with v.page.expect_navigation():
        v.page.locator("#sessions tbody tr").first.locator("th a").click()
    assert v.page.url.startswith(f"{v.base_url}/sessions/")
    assert_charts_drawn(v, "session page")
    v.screenshot("session page")

    # Models: one model and a date range typed into the filter bar; both stay in the URL.
    nav_to(v, "Models")
    model = DailyCost.objects.values("model").annotate(n=Sum("requests")).order_by("-n")[0]["model"]  # the busiest
    today = org_today()
    v.page.fill("form.filters[aria-label=Filters] input[name=since]", (today - timedelta(days=6)).isoformat())
    apply_filter(v, "model", model)
    assert f"model={model}" in v.page.url and f"since={(today - timedelta(days=6)).isoformat()}" in v.page.url
    assert_charts_drawn(v, f"models page for {model}")
    v.screenshot("models filtered to one model")

    # Overview: a team from the filter bar.
    nav_to(v, "Overview")
    team_name = ana.team.name
    apply_filter(v, "team", team_name)
    assert f"team={ana.team_id}" in v.page.url
    assert_charts_drawn(v, f"overview of team {team_name}")
    v.screenshot("overview filtered to a team")

    v.assert_clean()


def test_alerts_are_acknowledged_in_the_list_and_the_api_docs_render(team, visit):
    """The demo's last days cross the $30 ceiling for someone: its alert is in the list, and the admin
    acknowledges it with a note from the row's own form. The API docs (Swagger UI, served from static
    files) draw every operation of the schema, with nothing fetched from outside."""
    first = AlertEvent.objects.order_by("-pk").first()
    assert first is not None, "the demo import raised no alert"
    v = visit("alerts", viewport={"width": 1366, "height": 900})
    v.login(team, PASSWORD)
    admin = get_user_model().objects.get(username=team)
    nav_to(v, "Alerts")
    row = v.page.locator("tbody tr").filter(has=v.page.get_by_role("link", name=str(first.pk), exact=True))
    row.locator("summary").click()
    row.locator("input[name=note]").fill("Known: release week")
    with v.page.expect_navigation():
        row.get_by_role("button", name="Acknowledge").click()
    first.refresh_from_db()
    assert (first.state, first.ack_note) == ("acknowledged", "Known: release week")
    assert "Known: release week" in v.page.locator("tbody").inner_text()
    v.screenshot("alerts acknowledged")

    v.goto("/api/docs/")
    v.page.wait_for_selector(".opblock")
    paths = v.page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/daily-costs/" in paths and "/api/v1/alerts/{id}/acknowledge/" in paths
    v.screenshot("api docs")

    # The pages not visited above, each under the policy: imports, people, connectors, API tokens, the admin.
    v.goto("/")  # the docs page has no navigation bar
    for label in ("Imports", "People", "Connectors"):
        nav_to(v, label)
        v.screenshot(label)
    for path in (reverse("ingest:upload"), reverse("api:tokens"), reverse("admin:index"),
                 reverse("admin:auth_user_changelist"), reverse("admin:auth_user_change", args=[admin.pk])):
        v.goto(path)
        v.page.wait_for_load_state("load")
        v.check_accessibility()
    v.screenshot("admin user form")
    v.assert_clean()


def test_a_developer_lands_on_their_own_today(team, visit):
    """A developer's home is their day, week, month and standing, not a team overview of one; their page
    draws the When heatmap."""
    ana = Developer.objects.filter(daily_costs__isnull=False).order_by("name").first()
    ana.user = get_user_model().objects.create_user("ana-e2e", password=PASSWORD)
    ana.save()
    v = visit("developer", viewport={"width": 1366, "height": 900})
    v.login("ana-e2e", PASSWORD)
    assert v.page.locator("h1").inner_text() == "Your usage today"
    for kpi in ("#kpi-today", "#kpi-week", "#kpi-month", "#kpi-usual", "#standing-budget"):
        assert v.page.locator(kpi).count() == 1, kpi
    assert v.page.get_by_text("Active developers").count() == 0
    v.screenshot("developer home")
    with v.page.expect_navigation():
        v.page.locator("#your-page").click()
    assert "when-chart" in [c["id"] for c in assert_charts_drawn(v, "the developer's own page")]
    nav_to(v, "Today")
    v.assert_clean()


def test_overview_on_a_phone_fits_the_screen(team, visit):
    v = visit("phone", viewport={"width": PHONE[0], "height": PHONE[1]}, is_mobile=True, has_touch=True,
              device_scale_factor=2)
    v.login(team, PASSWORD)
    assert_charts_drawn(v, "overview on a phone")
    v.screenshot("overview")
    # A mobile browser zooms out to show a page wider than the screen, so compare with the screen itself.
    width = v.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE[0], (f"the page is {width}px wide on a {PHONE[0]}px screen: it scrolls sideways; "
                               f"too wide: {v.page.evaluate(WIDE_JS, PHONE[0])}")
    # The table scrolls inside its own box, which fits the screen; its first row can be read.
    wrap = v.page.locator(".table-wrap").first
    box = wrap.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0], box
    assert wrap.locator("tbody tr").first.is_visible()
    # Every navigation link can be reached (on screen, or in a bar that scrolls), and works.
    link = v.page.locator("nav[aria-label=Main] .nav").get_by_role("link", name="Developers", exact=True)
    link.scroll_into_view_if_needed()
    assert link.is_visible()
    with v.page.expect_navigation():
        link.tap()
    assert_charts_drawn(v, "developers on a phone", at_least=0)
    v.screenshot("developers")
    v.assert_clean()
