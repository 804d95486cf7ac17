"""The printable PDF, rendered for real (charts drawn by Chromium through kaleido) and read back
with pypdf: title, month, provisional mark, names, totals, the charts as images."""
from datetime import date
import io

from pypdf import PdfReader
import pytest

from costdash.reports.exporters.monthly import MonthlyExporter
from costdash.reports.formats import write_pdf
from costdash.reports.selectors import monthly_report
from tests.factories import DailyCostFactory, DeveloperFactory
from tests.reports.conftest import APRIL_15, MARCH

pytestmark = pytest.mark.django_db


def pdf_of(today) -> PdfReader:
    out = io.BytesIO()
    write_pdf(MonthlyExporter(monthly_report(MARCH, today=today)), out)
    assert out.getvalue().startswith(b"%PDF-")
    return PdfReader(io.BytesIO(out.getvalue()))


def text_of(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_final_month_pdf_text_and_charts(march, cost_reports):
    DailyCostFactory(developer=DeveloperFactory(name="Zoë <b>Ünïcode</b> & co", team=None),
                     day=date(2026, 3, 9), cost=1)
    reader = pdf_of(APRIL_15)
    text = text_of(reader)
    assert reader.metadata.title == "costdash monthly report: March 2026"
    assert "costdash monthly report: March 2026" in text
    assert "March 1 – March 31, 2026" in text
    assert "Provisional" not in text and "PROVISIONAL" not in text
    for name in ("Bo Brannigan", "Ana", "Cy", "Zoë <b>Ünïcode</b> & co", "CC-100", "mystery-model"):
        assert name in text, name
    assert "$132.75" in text  # the total spend, with Zoë's $1
    assert "$30.10" in text  # the team P90, with Zoë's day: h = 9 × 0.9 = 8.1 -> 30 + 0.1 × 1
    assert "unpriced" in text
    assert "$19.75" in text and "$6.95" in text  # billed and the difference
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 3  # daily spend by model, spend by team, top developers


def test_provisional_month_is_marked_on_every_page(march):
    reader = pdf_of(date(2026, 3, 20))
    text = text_of(reader)
    assert "Provisional: the month is not over (today is Mar 20 in UTC)" in text
    assert all("PROVISIONAL" in page.extract_text() for page in reader.pages)
    assert "No Anthropic cost report was imported for March 2026" in text


def test_an_empty_month_still_prints(db):
    text = text_of(pdf_of(APRIL_15))
    assert "costdash monthly report: March 2026" in text and "Nothing this month." in text
