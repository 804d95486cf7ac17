"""The FOCUS export (reports/exporters/focus.py) of the hand-worked March (conftest): its columns and
types, one row per DailyCost row, costs that sum to the report's spend exactly, tags, and the FinOps
Foundation's own validator run on the file."""
import csv
from datetime import date, datetime, timedelta
from decimal import Decimal as D
import io
import json
from pathlib import Path
import re
import subprocess

import pytest
from rest_framework.test import APIClient

from costdash.accounts.models import OrgSettings
from costdash.api.services import api_token_create
from costdash.reports.exporters import EXPORTERS
from costdash.reports.exporters.focus import CUSTOM_COLUMNS, DECIMAL_COLUMNS, FOCUS_COLUMNS
from costdash.reports.formats import write_csv
from costdash.reports.models import GeneratedReport
from costdash.reports.selectors import monthly_report
from costdash.rollups.models import DailyCost
from tests.factories import DailyCostFactory, DeveloperFactory
from tests.reports.conftest import APRIL_15, MARCH

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / ".venv-focus" / "bin" / "focus-validator"


def focus_bytes(month=MARCH) -> bytes:
    out = io.BytesIO()
    write_csv(EXPORTERS["focus"](month), out, "focus")
    return out.getvalue()


def focus_rows(month=MARCH) -> list[dict]:
    return list(csv.DictReader(io.StringIO(focus_bytes(month).decode("utf-8-sig"))))


# The checks focus-validator 1.0.0 cannot pass on a FOCUS 1.0 file: its 1.0 rule set still names
# columns as the 1.0 preview did, which FOCUS 1.0 renamed (Provider -> ProviderName, Publisher ->
# PublisherName, InvoiceIssuer -> InvoiceIssuerName, ResourceID -> ResourceId), and its SkuPriceId rule
# reads ChargeType (FOCUS 1.0's ChargeCategory). Columns of those names would break FOCUS 1.0's rule that
# every other column is x_-prefixed, so the file has only the 1.0 names.
PREVIEW_NAMES = {"Provider": "ProviderName", "Publisher": "PublisherName", "InvoiceIssuer": "InvoiceIssuerName",
                 "ResourceID": "ResourceId", "ChargeType": "ChargeCategory"}
CANNOT_PASS = {"Provider_Required", "Publisher_Required", "InvoiceIssuer_Required", "ResourceID_Required",
               "SkuPriceId_Nullable"}


def validator_failures(path: Path) -> tuple[set[str], str]:
    """The checks focus-validator (FOCUS 1.0) reports failed on the file at ``path``, and its output."""
    # It reads its ISO currency list from a path relative to the working directory
    # (focus_validator/utils/currency_codes.csv): run it from its own site-packages.
    site = subprocess.run([str(VALIDATOR.parent / "python"), "-c",
                           "import focus_validator, pathlib; print(pathlib.Path(focus_validator.__file__).parents[1])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    done = subprocess.run([str(VALIDATOR), "--data-file", str(path), "--validate-version", "1.0"],
                          cwd=site, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Validation" in done.stdout, done.stdout  # "Validation succeeded." or "... failed!"
    return set(re.findall(r"^(\S+) failed:$", done.stdout, re.MULTILINE)), done.stdout


@pytest.fixture
def fractions(march):
    """Rows of fractional cents beside March's: 3 × $0.333333333333 and one 0.004999... that a per-row
    rounding would lose or gain."""
    dev = DeveloperFactory(email="fi@example.com", name="Fi")
    for i, model in enumerate(("sonnet", "opus", "haiku")):
        DailyCostFactory(developer=dev, day=date(2026, 3, 10 + i), model=model, requests=1,
                         cost=D("0.333333333333"), input_tokens=7)
    DailyCostFactory(developer=dev, day=date(2026, 3, 31), model="sonnet", source="litellm", requests=1,
                     cost=D("0.004999999999"), output_tokens=3)


def test_columns_values_and_types(fractions):
    rows = focus_rows()
    assert list(rows[0]) == [*FOCUS_COLUMNS, *CUSTOM_COLUMNS]
    assert all(name.startswith("x_") for name in CUSTOM_COLUMNS)
    for row in rows:
        assert (row["BillingCurrency"], row["ChargeCategory"], row["ChargeFrequency"], row["ChargeClass"]) == (
            "USD", "Usage", "Usage-Based", "")
        assert row["ProviderName"] == row["PublisherName"] == row["InvoiceIssuerName"] == "Anthropic"
        assert row["ServiceCategory"] == "AI and Machine Learning"
        assert row["ResourceId"] == row["ResourceName"] == row["SkuId"] == row["SkuPriceId"] != ""
        for name in DECIMAL_COLUMNS:
            assert re.fullmatch(r"\d+\.\d+", row[name]), (name, row[name])  # exact, never an exponent
        assert row["BilledCost"] == row["EffectiveCost"] == row["ListCost"] == row["ContractedCost"]
        assert D(row["PricingQuantity"]) * 1_000_000 == D(row["ConsumedQuantity"])
        assert (row["ConsumedUnit"], row["PricingUnit"]) == ("Tokens", "1M Tokens")
    ana = next(r for r in rows if r["x_DeveloperEmail"] == "ana@example.com")
    assert (ana["x_Team"], ana["x_CostCenter"], ana["SubAccountName"]) == ("Alpha", "CC-100", "Alpha")
    fi = [r for r in rows if r["x_DeveloperEmail"] == "fi@example.com"]
    assert [r["BilledCost"] for r in fi] == ["0.333333333333"] * 3 + ["0.004999999999"]
    assert fi[0]["SubAccountId"] != "" and fi[0]["SubAccountName"] == fi[0]["x_Team"]


def test_charge_and_billing_periods_are_the_org_days_in_utc(fractions):
    org = OrgSettings.get()
    org.time_zone = "America/New_York"  # DST starts on March 8, 2026: that day has 23 hours
    org.save()
    DailyCostFactory(developer=DeveloperFactory(email="dst@example.com"), day=date(2026, 3, 8), model="sonnet",
                     requests=1, cost=D("1.5"), input_tokens=9)
    rows = focus_rows()
    assert {(r["BillingPeriodStart"], r["BillingPeriodEnd"]) for r in rows} == {
        ("2026-03-01T05:00:00Z", "2026-04-01T04:00:00Z")}
    spans = {}
    for row in rows:
        start = datetime.fromisoformat(row["ChargePeriodStart"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(row["ChargePeriodEnd"].replace("Z", "+00:00"))
        spans[row["ChargePeriodStart"]] = end - start
    assert spans["2026-03-08T05:00:00Z"] == timedelta(hours=23)  # 00:00 EST to 00:00 EDT
    assert spans["2026-03-31T04:00:00Z"] == timedelta(hours=24)  # Fi's March 31, after the change


def test_one_row_per_developer_day_model_and_source(fractions):
    rows = focus_rows()
    stored = DailyCost.objects.filter(day__gte=MARCH, day__lte=date(2026, 3, 31))
    keys = [(r["x_DeveloperEmail"], r["ChargePeriodStart"], r["ResourceId"], r["x_Source"]) for r in rows]
    assert len(rows) == stored.count() == len(set(keys))
    assert {(e, m, s) for e, _, m, s in keys} == set(
        stored.values_list("developer__email", "model", "source").distinct())


def test_billed_cost_sums_to_the_report_total_exactly(fractions):
    rows = focus_rows()
    total = monthly_report(MARCH, today=APRIL_15).totals["spend"]
    assert total == D("131.75") + 3 * D("0.333333333333") + D("0.004999999999")
    for name in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        assert sum(D(r[name]) for r in rows) == total
    per_team = {}
    for r in rows:
        per_team[r["x_Team"]] = per_team.get(r["x_Team"], D(0)) + D(r["BilledCost"])
    report_teams = {t["team"]: t["spend"] for t in monthly_report(MARCH, today=APRIL_15).teams}
    assert per_team["Alpha"] == report_teams["Alpha"] and per_team["Beta"] == report_teams["Beta"]


def test_unpriced_rows_cost_zero_and_say_so(march):
    mystery = [r for r in focus_rows() if r["ResourceId"] == "mystery-model"]
    assert mystery and all(r["BilledCost"] == "0.0" and int(r["x_UnpricedRequests"]) > 0 for r in mystery)
    assert "no known price" in mystery[0]["ChargeDescription"]


def test_tags_are_a_json_object_of_the_allocation_dimensions(march):
    rows = focus_rows()
    ana = json.loads(next(r for r in rows if r["x_DeveloperEmail"] == "ana@example.com")["Tags"])
    assert ana == {"costdash/developer": "Ana", "costdash/developer_email": "ana@example.com",
                   "costdash/team": "Alpha", "costdash/cost_center": "CC-100",
                   "costdash/source": ana["costdash/source"]}
    assert all(isinstance(json.loads(r["Tags"]), dict) for r in rows)


def test_the_focus_validator_passes_but_for_its_preview_column_names(fractions, tmp_path):
    """The FinOps Foundation's validator, as a subprocess on a generated month: every check passes but
    CANNOT_PASS; with the preview names added as copies of their 1.0 columns, every check passes (so
    those failures are the names alone, not the values)."""
    path = tmp_path / "costdash-2026-03-focus.csv"
    path.write_bytes(focus_bytes())
    failures, out = validator_failures(path)
    assert failures == CANNOT_PASS, out
    rows = focus_rows()
    aliased = tmp_path / "aliased.csv"
    with aliased.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, [*rows[0], *PREVIEW_NAMES])
        writer.writeheader()
        writer.writerows(row | {old: row[new] for old, new in PREVIEW_NAMES.items()} for row in rows)
    failures, out = validator_failures(aliased)
    assert failures == set() and "Validation succeeded." in out, out


@pytest.fixture
def api_as():
    def client_for(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='tests')[1]}")
        return client
    return client_for


def test_the_api_streams_the_same_file_to_billing_and_refuses_developers(fractions, api_as, billing_user,
                                                                         developer_user):
    response = api_as(billing_user).get("/api/v1/reports/2026-03/focus.csv")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="costdash-2026-03-focus.csv"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body == focus_bytes()
    assert api_as(developer_user).get("/api/v1/reports/2026-03/focus.csv").status_code == 403
    assert api_as(billing_user).get("/api/v1/reports/2026-13/focus.csv").status_code == 400


def test_the_reports_page_builds_a_kept_focus_file(fractions, client, billing_user,
                                                  django_capture_on_commit_callbacks):
    client.force_login(billing_user)
    assert b'id="export-focus"' in client.get("/reports/?month=2026-03").content
    with django_capture_on_commit_callbacks(execute=True):  # the build, queued on commit, runs in-process
        response = client.post("/reports/export/focus/", {"month": "2026-03"})
    assert response.status_code == 302 and response["Location"].endswith("?month=2026-03#files")
    kept = GeneratedReport.objects.get(kind="focus")
    assert (kept.status, kept.format, kept.sheet, kept.filename) == (
        "ready", "csv", "focus", "costdash-2026-03-focus.csv")
    download = client.get(f"/reports/{kept.pk}/download")
    assert b"".join(download.streaming_content) == focus_bytes()


def test_a_closed_months_tags_keep_the_dimensions_and_rules_as_closed(march, billing_user):
    from costdash.chargeback.models import ChargebackRule, DailyDimensionCost
    from costdash.reports.closing import month_close, month_reopen

    row = DailyCost.objects.filter(developer__email="ana@example.com", day__gte=MARCH).order_by("day").first()
    DailyDimensionCost.objects.create(developer=row.developer, day=row.day, model=row.model, source=row.source,
                                      dimensions=json.dumps({"project": "payments"}), project="payments",
                                      cost=row.cost, requests=row.requests)

    def ana_tags() -> dict:
        tagged = [json.loads(r["Tags"]) for r in focus_rows() if r["x_DeveloperEmail"] == "ana@example.com"]
        return next(tags for tags in tagged if "costdash/project" in tags)

    assert ana_tags()["costdash/project"] == "payments"
    assert ana_tags()["costdash/chargeback_cost_center"] == "CC-100"  # no rule: the team's cost center
    month_close(MARCH, billing_user)
    ChargebackRule.objects.create(position=1, dimension="project", pattern="payments", cost_center="CC-PAY")
    assert ana_tags()["costdash/chargeback_cost_center"] == "CC-100"  # the closed month's as closed
    month_reopen(MARCH, billing_user)
    assert ana_tags()["costdash/chargeback_cost_center"] == "CC-PAY"  # a live month follows the rules
