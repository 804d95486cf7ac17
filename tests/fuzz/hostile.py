"""Hostile values and structure-aware mutations of real documents, as Hypothesis strategies.

A document is JSON (one value), JSONL (a list of values, one a line) or CSV (a header and rows of
text cells). ``mutated(doc)`` draws one to three edits (a value replaced by a hostile one, a key
deleted or renamed, a value wrapped in junk, a line cut or repeated, a CSV column dropped...) and
gives the document's bytes. JSON is written compactly, as the real files are, so the parsers'
byte-level fast paths see what they see in production; values JSON cannot spell (``NaN``,
``1e999999``, ``[[[[…``) are written as raw text through ``Raw``.
"""
from __future__ import annotations

import copy
import csv
from dataclasses import dataclass, field
import io
import json
import re

from hypothesis import strategies as st


@dataclass(frozen=True)
class Raw:
    """JSON text written as it is: what a hostile sender types and json.dumps will not."""

    text: str


@dataclass
class Doc:
    """A real document to mutate: kind "json" (``value``), "jsonl" (``value`` is the list of
    lines) or "csv" (``header`` and ``rows``, each row a dict of text)."""

    kind: str
    value: object = None
    header: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)


# --- hostile values ---------------------------------------------------------------------------------

HUGE_INTS = [10**12, 10**12 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30, 10**400]
NEGATIVE_INTS = [-1, -(2**31), -(2**63), -(10**30)]
RAW_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e999999", "-1e999999", "1e30", "1e-999999", "-0", "1E308",
               "123456789012345678901234567890.123456789", "0.000000000000000000001", "1.7976931348623157e309"]
NUMBER_TEXTS = ["NaN", "nan", "Infinity", "-Infinity", "inf", "1e999999", "1e30", "-1", "-0.5", "9" * 40, " 5 ",
                "0x1F", "1_000", "", " ", "١٢٣", "1e-999999", "12abc"]
DATES = [
    "0001-01-01T00:00:00Z", "0001-01-01T00:00+05:00", "9999-12-31T23:59:59Z", "9999-12-31T23:00-05:00",
    "9999-12-31T23:59:59.999999+00:00", "1970-01-01T00:00:00Z", "2022-12-31T23:59:59Z", "2099-01-01T00:00:00Z",
    "2025-09-03T10:00:00+23:59", "2025-09-03T10:00:00-23:59", "2025-13-45T99:99:99Z", "2025-09-03",
    "2025-09-03T10:00:00", "2025-02-29T00:00:00Z", "0000-00-00", "9999-12-31", "0001-01-01", "+275760-09-13",
    "2025-09-03T10:00:00.123456789Z", "2025-09-03T10:00:00Z\x00",
]
EPOCHS = [0, -1, 1e20, 253402300800, 253402300800000, 2**63, 2**64 - 1, "99999999999999999999999",
          "18446744073709551615", "-1", "1e30"]
TEXTS = [
    "\x00", "claude-\x00sonnet-4", "msg_\x00", "\x01\x02\x1b[31m\x7f", "x" * 10_000, "a" * 121, "m" * 201,
    "msg_" + "a" * 300, "req_" + "b" * 196, "\u202eevil", "\ufeff", "é" * 5000, "claude-sonnet-4\n5", "\ud800",
    "=cmd|' /C calc'!A0", "../../etc/passwd",
]
RAW_JUNK = [
    '"\\ud800"', '"\\u0000"', '"a\\u0000b"', "[" * 2000 + "]" * 2000, '{"a":' * 600 + "1" + "}" * 600,
    "true", "null", "{}", "[]", '"\\udfff\\ud800"',
]

ints = st.one_of(st.sampled_from(HUGE_INTS + NEGATIVE_INTS), st.integers(-(2**70), 2**70))
floats = st.one_of(st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, -1e-308, -0.0]), st.floats())
texts = st.one_of(
    st.sampled_from(TEXTS),
    st.text(st.characters(codec=None, categories=None), max_size=40),  # NUL, controls, lone surrogates
    st.sampled_from(NUMBER_TEXTS + DATES),
)
wrong_types = st.sampled_from([None, True, False, [], {}, [1, 2], {"a": {"b": []}}, [None], ""])
nested_junk = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), texts),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)

hostile_values = st.one_of(
    ints,
    floats,
    texts,
    st.sampled_from(RAW_NUMBERS + RAW_JUNK).map(Raw),
    st.sampled_from(EPOCHS),
    wrong_types,
    nested_junk,
)
hostile_cells = st.one_of(  # a CSV cell is always text
    texts,
    ints.map(str),
    st.sampled_from(RAW_NUMBERS + DATES + NUMBER_TEXTS),
    st.just('{"broken": '),
    st.just('"'),
)


# --- writing documents ---------------------------------------------------------------------------


def to_json(value) -> str:
    """Compact JSON as the real files are, with ``Raw`` text spliced in and NaN/Infinity allowed."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{_dumps(str(k))}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return _dumps(value)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes bytes that are not UTF-8


def doc_bytes(doc: Doc) -> bytes:
    if doc.kind == "json":
        return encode(to_json(doc.value))
    if doc.kind == "jsonl":
        return b"".join((line if isinstance(line, bytes) else encode(to_json(line))) + b"\n" for line in doc.value)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(doc.header)
    for row in doc.rows:
        writer.writerow([row.get(c, "") for c in doc.header] + row.get(None, []))
    return encode(out.getvalue())


# --- edits ------------------------------------------------------------------------------------


def paths(value, prefix=()) -> list[tuple]:
    """Every place in a JSON value: dict keys and list indexes, depth first."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            found.append((*prefix, k))
            found.extend(paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found.append((*prefix, i))
            found.extend(paths(v, (*prefix, i)))
    return found


# Keys parsers read: an edit lands on one of these half the time (the rest is anywhere at all).
READ_KEYS = re.compile(
    r"token|cost|spend|amount|usage|time|date|start|end|model|id$|^id|request|session|email|user|value|Nano"
    r"|as(Int|Double)|count|type|name|key|speed|tier|geo|window|web_search", re.I,
)
DATE_TEXT = re.compile(r"^\d{4}-\d\d-\d\d")


def typed_values(original) -> st.SearchStrategy:
    """Hostile values of the kind a field holds: bad times for a time, bad numbers for a number."""
    if isinstance(original, bool) or original is None:
        return wrong_types
    if isinstance(original, int | float):
        return st.one_of(ints, floats, st.sampled_from(RAW_NUMBERS).map(Raw), st.sampled_from(NUMBER_TEXTS))
    if isinstance(original, str) and DATE_TEXT.match(original):
        return st.sampled_from(DATES)
    if isinstance(original, str) and original.strip().isdigit():
        return st.sampled_from([str(e) for e in EPOCHS] + NUMBER_TEXTS + RAW_NUMBERS)
    if isinstance(original, str):
        return texts
    return st.one_of(wrong_types, nested_junk)


def _place(draw, value) -> tuple | None:
    """A place to edit: half the time one whose key a parser reads, else any."""
    places = paths(value)
    if not places:
        return None
    read = [p for p in places if isinstance(p[-1], str) and READ_KEYS.search(p[-1])]
    if read and draw(st.booleans()):
        return draw(st.sampled_from(read))
    return draw(st.sampled_from(places))


def _edit_json(draw, value):
    """One edit of a JSON value, in place; returns the (possibly new) root."""
    path = _place(draw, value)
    if path is None:
        return copy.deepcopy(draw(hostile_values))
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    action = draw(st.sampled_from(["typed", "typed", "typed", "replace", "delete", "rename", "wrap"]))
    if action in ("typed", "replace"):
        values = typed_values(parent[last]) if action == "typed" else hostile_values
        parent[last] = copy.deepcopy(draw(values))  # sampled lists and dicts are shared
    elif action == "delete":
        del parent[last]
    elif action == "rename" and isinstance(parent, dict):
        parent[draw(texts)] = parent.pop(last)
    else:
        parent[last] = draw(st.sampled_from([[parent[last]], {"junk": parent[last]}, [[[parent[last]]]]]))
    return value


def _edit_lines(draw, lines: list):
    """One edit of a JSONL document: a line's JSON, or the lines themselves."""
    i = draw(st.integers(0, max(len(lines) - 1, 0)))
    action = draw(st.sampled_from(["json", "json", "json", "cut", "repeat", "blank", "bytes"]))
    if not lines or action == "bytes":
        lines.insert(i, draw(st.binary(max_size=64)).replace(b"\n", b" "))
    elif action == "json" and not isinstance(lines[i], bytes):
        lines[i] = _edit_json(draw, lines[i])
    elif action == "cut":
        text = lines[i] if isinstance(lines[i], bytes) else encode(to_json(lines[i]))
        lines[i] = text[: draw(st.integers(0, len(text)))]
    elif action == "repeat":
        lines.insert(i, copy.deepcopy(lines[i]))
    else:
        lines.insert(i, b" " * draw(st.integers(0, 3)))
    return lines


def _edit_csv(draw, doc: Doc) -> None:
    action = draw(st.sampled_from(["cell", "cell", "cell", "drop_column", "extra_cells", "junk_row"]))
    if action == "cell" and doc.rows:
        row = draw(st.sampled_from(doc.rows))
        row[draw(st.sampled_from(doc.header))] = draw(hostile_cells)
    elif action == "drop_column" and doc.header:
        doc.header.remove(draw(st.sampled_from(doc.header)))
    elif action == "extra_cells" and doc.rows:
        draw(st.sampled_from(doc.rows))[None] = draw(st.lists(hostile_cells, min_size=1, max_size=3))
    else:
        doc.rows.append({c: draw(hostile_cells) for c in doc.header})


@st.composite
def mutated_doc(draw, doc: Doc, max_edits: int = 3) -> Doc:
    """A copy of ``doc`` after one to ``max_edits`` hostile edits (the seed is not touched)."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, max_edits))):
        if doc.kind == "json":
            doc.value = _edit_json(draw, doc.value)
        elif doc.kind == "jsonl":
            doc.value = _edit_lines(draw, doc.value)
        else:
            _edit_csv(draw, doc)
    return doc


@st.composite
def mutated(draw, doc: Doc, max_edits: int = 3) -> bytes:
    """The bytes of ``doc`` after hostile edits, now and then with raw bytes spliced in too."""
    data = doc_bytes(draw(mutated_doc(doc, max_edits)))
    if draw(st.integers(0, 9)) == 0:  # bad UTF-8, a cut, a stray quote
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=16)) + data[at:]
    return data


# --- a deterministic sweep: every field a parser reads, with each of a few hostile values ----------

DELETE = Raw("<deleted>")  # in a sweep: the key is removed rather than given a value
SWEEP_DATES = ["9999-12-31T23:59:59Z", "9999-12-31T23:00-05:00", "0001-01-01T00:00+05:00", "1970-01-01T00:00:00Z",
               "2025-13-45T99:99:99Z", "2025-09-03T10:00:00"]
SWEEP_NUMBERS = [Raw("Infinity"), Raw("NaN"), Raw("1e999999"), 1e30, -1, 10**13, "NaN", "1e999999", [], 2**64]
SWEEP_DIGITS = ["99999999999999999999999", "-1", "0", "NaN"]
SWEEP_TEXTS = ["\x00", "claude-\x00sonnet-4", "\x1b[31m", "m" * 201, "msg_" + "a" * 300, "x" * 10_000, 5, None]


def sweep_values(original) -> list:
    """The sweep's hostile values for a field holding ``original``."""
    if isinstance(original, bool) or original is None:
        return [Raw("NaN"), "\x00", 10**13, {}]
    if isinstance(original, int | float):
        return SWEEP_NUMBERS
    if isinstance(original, str) and DATE_TEXT.match(original):
        return SWEEP_DATES
    if isinstance(original, str) and original.strip().isdigit():
        return SWEEP_DIGITS
    if isinstance(original, str):
        return SWEEP_TEXTS
    return []


def single_edits(value, strict: bool = False):
    """(path, new value, edited copy) for every leaf of ``value`` under a key a parser reads,
    with each sweep value and with the key deleted; ``strict``: only values JSON can spell."""
    for path in paths(value):
        if not (isinstance(path[-1], str) and READ_KEYS.search(path[-1])):
            continue
        parent = value
        for step in path[:-1]:
            parent = parent[step]
        for new in [*sweep_values(parent[path[-1]]), DELETE]:
            if strict and isinstance(new, Raw) and new is not DELETE:
                continue
            edited = copy.deepcopy(value)
            holder = edited
            for step in path[:-1]:
                holder = holder[step]
            if new is DELETE:
                del holder[path[-1]]
            else:
                holder[path[-1]] = copy.deepcopy(new)
            yield path, new, edited
