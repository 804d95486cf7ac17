"""A part held in memory is read by pyarrow's CSV reader where that gives what csv.reader gives, and by
csv.reader everywhere else (csv_parts.arrow_records): the records, their lines, the part's line count and
how the reading ends (Misaligned, a csv or UTF-8 error) are those of csv.reader for any bytes at all.
"""
import csv
import io

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
import pytest

from costdash.ingest import csv_parts, parallel
from costdash.ingest.csv_parts import CsvPart, arrow_records, header_span
from costdash.ingest.parsers import litellm_spendlogs
from costdash.ingest.rows import RowBuilder
from costdash.pricing.services import rate_table
from tests.ingest.test_parser_litellm_spendlogs import csv_bytes, row


def outcome(part: CsvPart) -> tuple:
    """What a part gives: its records (cells as lists), then how it ended and the lines it read."""
    records, ending = [], None
    try:
        for line, cells in part:
            records.append((line, list(cells)))
    except Exception as exc:  # noqa: BLE001 - the kind and text of how the reading stopped is compared
        ending = (type(exc).__name__, str(exc))
    return records, ending, part.lines if ending is None else None


def as_outcome(read: tuple) -> tuple:
    """What arrow_records read, as outcome() puts it."""
    records, lines = read
    return [(line, list(cells)) for line, cells in records], None, lines


def by_csv_reader(data: bytes, ends_part: bool) -> tuple:
    return outcome(CsvPart(io.BytesIO(data), ends_part))


def by_either(data: bytes, ends_part: bool, width: int) -> tuple:
    return outcome(CsvPart(data, ends_part, width))


# Cells from the characters that matter to CSV: quotes, commas, both line ends, a space, NUL, non-ASCII.
CELL = st.text(alphabet='ab,"\n\r \x00é', max_size=6)


@st.composite
def csv_data(draw) -> tuple[bytes, int]:
    """Bytes of a few records, most written as RFC 4180 does (quoted when needed), some raw (stray quotes,
    bare CRs), some of another width, blank lines, LF or CRLF ends, a missing last end, bad UTF-8."""
    width = draw(st.integers(1, 4))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["quoted", "quoted", "quoted", "raw", "blank"]))
        if kind == "blank":
            lines.append("")
            continue
        cells = draw(st.lists(CELL, min_size=width, max_size=width)) if draw(st.integers(0, 5)) else draw(
            st.lists(CELL, min_size=1, max_size=5))
        if kind == "quoted":
            cells = ['"' + c.replace('"', '""') + '"' if any(x in c for x in ',"\n\r ') else c for c in cells]
        lines.append(",".join(cells))
    text = end.join(lines) + (end if draw(st.booleans()) else "")
    data = text.encode()
    if data and draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xed\xa0\x80", b"\xc3"])) + data[at:]
    return data, width


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_data(), st.booleans())
@example((b'a,"b\nc"\n', 2), True)  # a quoted newline: csv.reader
@example((b'x,y\na,"b\n', 2), True)  # cut inside a quoted field: as many records as lines, the last holds a newline
@example((b'a,b\rc,d\n', 2), False)  # a bare CR: csv.reader ends a record there and fails
@example((b'a,b\r\n\r\nc,d\r\n', 2), False)  # CRLF ends and a blank line
@example((b'a,b\rc,d\n\r\n', 2), True)  # a bare CR's extra record evened out by a blank line: still csv.reader
@example((b'a, "b,c"\n', 3), False)  # a quote after a space is text to csv.reader
def test_any_part_reads_as_csv_reader_reads_it(case, ends_part):
    data, width = case
    assert by_either(data, ends_part, width) == by_csv_reader(data, ends_part)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=8), st.sampled_from(["\n", "\r\n"]))
def test_rfc_4180_records_on_lines_of_their_own_are_read_by_pyarrow(rows, end):
    """Not a vacuous equality: written as PostgreSQL's COPY … CSV or Python's csv writer writes them (one line
    a record: cells without line ends), pyarrow reads them, and gives csv.reader's records."""
    rows = [[c.replace("\n", "").replace("\r", "").replace("\x00", "") for c in cells] for cells in rows]
    data = end.join(",".join('"' + c.replace('"', '""') + '"' if any(x in c for x in ',"') else c for c in cells)
                    for cells in rows).encode() + end.encode()
    read = arrow_records(data, 3, True)
    assert read is not None
    assert as_outcome(read) == by_csv_reader(data, True)


@pytest.mark.django_db
def test_a_parse_worker_reads_a_spendlogs_part_with_pyarrow(tmp_path, monkeypatch):
    """The workers hand each part to CsvPart as bytes with the header's width, so pyarrow reads it."""
    data = csv_bytes([row(request_id=f"msg_{i:04d}") for i in range(30)])
    path = tmp_path / "spendlogs.csv"
    path.write_bytes(data)
    span = header_span(data)
    header = litellm_spendlogs.csv_header(next(csv.reader([data[: span[1]].decode()])))
    read = []

    def spy(*args):
        read.append(arrow_records(*args))
        return read[-1]

    monkeypatch.setattr(csv_parts, "arrow_records", spy)
    monkeypatch.setattr(parallel, "_builder", RowBuilder(batch_id=1, table=rate_table(), tz_name="UTC",
                                                         copy_text=True))
    result = parallel._parse_part_in_worker(litellm_spendlogs.__name__, str(path), "spendlogs.csv", span[1],
                                            len(data) - span[1], header, False)
    assert len(read) == 1 and read[0] is not None and len(read[0][0]) == 30
    assert len(result.rows) == 30 and result.lines == 30 and not result.rejected


@pytest.mark.parametrize(("data", "why"), [
    (b"a,b\n\nc,d\n", "a blank line"),
    (b'a,"b\nc"\n', "a quoted newline"),
    (b'a,b\nc,"d\n', "a cut inside a quoted field"),
    (b"a,b\nc\n", "a row of another width"),
    (b"a,b\rc,d\n", "a CR that does not end a line"),
    (b"a,b\x00\n", "NUL"),
    (b"a,\xff\n", "bad UTF-8"),
    (b"a,b\nc,d", "no newline at the end of a part that should end between records"),
])
def test_what_pyarrow_is_not_trusted_with_goes_to_csv_reader(data, why):
    assert arrow_records(data, 2, True) is None, why


def test_a_part_larger_than_a_line_may_be_goes_to_csv_reader(monkeypatch):
    """csv.reader stops at a line over MAX_LINE_BYTES (LineTooLong); a part that could hold one is not pyarrow's."""
    data = b"a,b\n" * 100
    assert arrow_records(data, 2, True) is not None
    monkeypatch.setattr(csv_parts, "_max_line", lambda: len(data) - 1)
    assert arrow_records(data, 2, True) is None


def test_the_last_part_of_a_file_may_end_without_a_newline():
    read = arrow_records(b'a,"b,c"\r\nd,e', 2, False)
    assert as_outcome(read) == ([(1, ["a", "b,c"]), (2, ["d", "e"])], None, 2)
    assert as_outcome(read) == by_csv_reader(b'a,"b,c"\r\nd,e', False)
