"""A month as a FinOps FOCUS 1.0 cost-and-usage CSV (reports/exporters/focus.py), streamed row by row
as it is read from the database (admins and billing). The same file the Reports page keeps."""
from __future__ import annotations

from collections.abc import Iterator
import csv
import io

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView

from costdash.reports.exporters import EXPORTERS
from costdash.reports.exporters.focus import SHEET
from costdash.reports.formats.csv_format import csv_lines

from ..permissions import SeesAllSpend
from .reports import MONTH, FileWhateverAccepted, month_of

BOM = "\ufeff"  # as the CSV exports: Excel reads non-ASCII names right; FOCUS readers skip it


def focus_csv_chunks(month) -> Iterator[bytes]:
    """The month's FOCUS CSV, a few hundred rows per chunk (flat memory whatever the month's size)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    for i, line in enumerate(csv_lines(EXPORTERS["focus"](month).sheet(SHEET))):
        writer.writerow(line)
        if i % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


class ReportFocusCsvApi(GenericAPIView):
    permission_classes = [SeesAllSpend]
    pagination_class = None
    content_negotiation_class = FileWhateverAccepted

    @extend_schema(
        parameters=[MONTH], summary="A month as a FinOps FOCUS 1.0 CSV",
        description="One row per developer, day, model and source: FOCUS 1.0 columns (BilledCost, EffectiveCost, "
                    "ListCost and ContractedCost as exact decimals that sum to the month's spend, ChargePeriodStart/"
                    "End as the org's days in UTC, ServiceCategory, SubAccount (the team), ResourceId and SkuId "
                    "(the model), consumed and pricing quantities in tokens), the allocation dimensions as Tags "
                    "(JSON) and x_ columns. Streamed as it is read.",
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
    )
    def get(self, request, month: str):
        first_day = month_of(month)
        response = StreamingHttpResponse(focus_csv_chunks(first_day), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="costdash-{first_day:%Y-%m}-focus.csv"'
        return response
