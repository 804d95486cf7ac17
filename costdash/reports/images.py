"""Plotly figures to PNG for the PDF, through kaleido (which drives the machine's Chromium).

All of a report's charts are drawn in one browser session (plotly.io.write_images): about 4 s for
three charts on the 2-core machine, most of it starting Chromium. A failure (no Chromium, a crash)
is returned as text, so the PDF still comes out, saying its charts could not be drawn.
"""
from __future__ import annotations

import logging
from pathlib import Path
import tempfile

from .exporters.base import Chart

log = logging.getLogger(__name__)
SCALE = 2  # pixels per layout pixel: sharp when printed


def charts_png(charts: list[Chart]) -> tuple[list[bytes], str]:
    """(PNG bytes of each chart in order, "") or ([], why they could not be drawn)."""
    if not charts:
        return [], ""
    import plotly.io as pio  # imported here: only PDFs need it

    with tempfile.TemporaryDirectory(prefix="costdash-charts-") as folder:
        paths = [Path(folder) / f"{i}.png" for i in range(len(charts))]
        try:
            pio.write_images(
                [chart.figure for chart in charts], paths, format="png", scale=SCALE,
                width=[chart.width for chart in charts], height=[chart.height for chart in charts],
            )
            return [path.read_bytes() for path in paths], ""
        except Exception as exc:  # noqa: BLE001 - any failure to draw leaves the report without charts
            log.warning("report charts could not be drawn: %s", exc)
            return [], f"{type(exc).__name__}: {exc}"[:300]
