"""Every dashboard table as a CSV download (issue 13), with the filters in force.

A page answers ``?format=csv`` (its other parameters unchanged: range, team, developer, model,
project, sort...) with its table instead of the HTML. Cells are written as the reports' CSV files
write them (reports.exporters.base.csv_text): money to the cent, ratios as fractions, ISO dates,
text that a spreadsheet would run as a formula prefixed with an apostrophe. UTF-8 with a BOM so
Excel reads names right.

Use from a view (the page's own columns and rows)::

    if wants_csv(request):
        return csv_response("developers", scope, DEVELOPER_COLUMNS, rows)

and in its template ``<a href="{{ csv_href }}" download>CSV</a>`` with ``csv_href = csv_href(request)``.
"""
from __future__ import annotations

from collections.abc import Iterable
import csv
from urllib.parse import urlencode

from django.http import StreamingHttpResponse

from costdash.reports.exporters.base import DATE, INT, MONEY, RATIO, TEXT, Column, csv_text

FORMAT, CSV = "format", "csv"
__all__ = ["DATE", "INT", "MONEY", "RATIO", "TEXT", "Column", "csv_href", "csv_response", "wants_csv"]


def wants_csv(request) -> bool:
    return request.GET.get(FORMAT) == CSV


def csv_href(request) -> str:
    """This page's URL query with ``format=csv``: the download keeps every filter and choice in force."""
    params = [(k, v) for k, v in request.GET.items() if k not in (FORMAT, "page")]
    return "?" + urlencode([*params, (FORMAT, CSV)])


class _Echo:
    """A file-like that hands back what csv.writer writes (to stream rows, never the whole file in memory)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(columns: Iterable[Column], rows: Iterable[dict]):
    """The header, then one formula-safe line per row."""
    columns = list(columns)
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([c.header for c in columns])
    for row in rows:
        yield writer.writerow([csv_text(row.get(c.key), c) for c in columns])


def csv_response(table: str, scope, columns: Iterable[Column], rows: Iterable[dict]) -> StreamingHttpResponse:
    """``rows`` as ``costdash-<table>-<since>-<until>.csv`` (an attachment), streamed."""
    response = StreamingHttpResponse(csv_lines(columns, rows), content_type="text/csv; charset=utf-8")
    name = f"costdash-{table}-{scope.since:%Y-%m-%d}-{scope.until:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
