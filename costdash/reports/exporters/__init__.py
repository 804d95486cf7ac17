"""The reports costdash exports: kind -> a function building its exporter for a month. Adding a
report is one module here, one line below and one test file."""
from __future__ import annotations

from datetime import date

from ..selectors import monthly_report
from .base import Exporter
from .focus import focus_exporter
from .monthly import MonthlyExporter


def monthly_exporter(month: date) -> Exporter:
    return MonthlyExporter(monthly_report(month))


EXPORTERS = {"monthly": monthly_exporter, "focus": focus_exporter}
