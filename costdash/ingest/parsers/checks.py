"""One spec for every parsed record, whatever its source: the bounds, ``check(record)``, and the
one guard every parser runs each record through (``guarded``).

Parsers turn a source's values into a record (a ParsedRequest, ParsedAggregate, ParsedActivity,
ParsedBilled or ParsedFailure, parsers/base.py) and name the field when a value cannot be read;
``check`` then holds the record to what can be stored and counted, the same for every source:

- times: a timestamp (a bucket's start, a billed day) from EARLIEST to a day ahead of now (AHEAD).
  Only comparisons are made, so ``9999-12-31T23:00-05:00`` or ``0001-01-01T00:00+05:00`` is
  refused, never overflowed; a record that passes has an org-local day in every time zone;
- counts: ``int`` (not bool), 0..MAX_REQUEST_TOKENS for a request's tokens, 0..MAX_BUCKET_TOKENS
  for a bucket's, 0..MAX_COUNT for the 32-bit columns (web searches, requests, sessions, lines…);
- money: a finite Decimal, 0..MAX_REQUEST_USD for a request, 0..MAX_BUCKET_USD for a bucket or a
  billed line (both well inside the MONEY column, 24 digits with 12 places). Kept exactly as
  sent, except that an amount with more than MAX_PLACES decimal places is rounded to the
  column's 12 (as the column would: a ``1e-999999`` is not written out a million digits long);
- text: the widths of the model columns (COLUMNS; a test holds them equal to the models'). An id,
  a key, a model or a name longer than its column, or holding a control character (NUL
  included) or a lone surrogate, is refused with the field named: cutting it could make two
  records one. Free text (FREE: a project path, a session id, an activity's detail) names
  nothing that keys, prices or attributes a record, so it is made to fit instead: NUL and lone
  surrogates (which no PostgreSQL text can hold) are dropped, and it is cut to its column; other
  characters (a tab in a path) are kept exactly.
- dimensions (a request's chargeback dimensions: key alias, team, tags, OTel resource attributes):
  parsers/dimensions.reason holds them to at most MAX_TAGS tags and MAX_ATTRIBUTES attributes of
  MAX_VALUE characters, clean text; like an identity they are refused with the field named, never
  cut (they decide a cost center).

Kept free of Django: parse worker processes import it without Django set up.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
import re
import time

from costdash.pricing.rates import normalize_model

from . import dimensions
from .base import ParsedActivity, ParsedAggregate, ParsedBilled, ParsedFailure, ParsedRequest, Rejected, RowError

EARLIEST = datetime(2023, 1, 1, tzinfo=UTC)  # before Claude Code and these reports existed
AHEAD = timedelta(days=1)  # a clock a little fast is tolerated; a date years ahead is not
MAX_REQUEST_TOKENS = 10**10  # one request of one kind of token; far above any context window
MAX_BUCKET_TOKENS = 10**12  # a whole org's bucket (a day of one model, key and workspace)
MAX_COUNT = 10**9  # what the 32-bit integer columns hold, with room to add
MAX_REQUEST_USD = Decimal(10**6)  # one request; more is corruption, not usage
MAX_BUCKET_USD = Decimal(10**9)  # one bucket, or one billed line of one day
MAX_SECONDS = Decimal(10**9)  # active time of one point (the column holds 10^11)
MONEY_SCALE = Decimal("1e-12")  # the MONEY columns' decimal places
MAX_PLACES = 40  # decimal places kept as sent (a double's shortest form needs fewer)

# The width of each text field, as its column stores it: UsageEvent for requests, UsageAggregate,
# ActivityRecord and BilledCost for the others; identity is Identity.external_id, email
# Developer.email, model the normalised model id. tests/ingest/test_record_checks.py holds these
# equal to the models' max_length (this module cannot import them). Keys come last: a key too
# long is most often an id too long, and the id names the source's field.
COLUMNS: dict[type, dict[str, int]] = {
    ParsedRequest: {
        "raw_model": 200, "request_id": 100, "message_id": 100, "service_tier": 20, "speed": 16,
        "inference_geo": 32, "identity": 320, "email": 254, "session_id": 100, "project": 500, "dedupe_key": 200,
    },
    ParsedAggregate: {
        "width": 4, "raw_model": 200, "identity": 320, "email": 254, "workspace": 200, "api_key": 200,
        "service_tier": 20, "context_window": 20, "inference_geo": 32, "speed": 16, "key": 300,
    },
    ParsedActivity: {"width": 4, "identity": 320, "email": 254, "key": 300},
    ParsedFailure: {"raw_model": 200, "error": 60, "identity": 320, "email": 254, "key": 200},
    ParsedBilled: {
        "currency": 3, "workspace": 200, "description": 300, "cost_type": 40, "raw_model": 200, "token_type": 60,
        "service_tier": 20, "context_window": 20, "inference_geo": 32, "key": 300,
    },
}
MODEL_WIDTH = 120  # the normalised model id (UsageEvent.model, UsageAggregate.model, DailyCost.model)
FREE = {"session_id", "project"}  # free text: made to fit (module docstring), never refused
DETAIL_WIDTH = 200  # a string kept in ParsedActivity.detail
WIDTHS = ("1d", "1h", "1m", "")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # C0, DEL, C1, lone surrogates
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")  # what no PostgreSQL text column holds

_ID_FIELDS = {kind: tuple((f, n) for f, n in widths.items() if f not in FREE) for kind, widths in COLUMNS.items()}
_FREE_FIELDS = tuple((f, n) for f, n in COLUMNS[ParsedRequest].items() if f in FREE)
_REQUEST_TOKENS = ("input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
                   "cache_read_tokens")
_ACTIVITY_COUNTS = ("sessions", "lines_added", "lines_removed", "commits", "pull_requests", "edits_accepted",
                    "edits_rejected")
_latest: tuple[float, datetime] = (float("-inf"), EARLIEST)


def latest() -> datetime:
    """The latest time a record may carry: now + AHEAD (read from the clock at most once a second)."""
    global _latest
    read_at, value = _latest
    now = time.monotonic()
    if now - read_at >= 1.0:
        _latest = (now, datetime.now(UTC) + AHEAD)
        value = _latest[1]
    return value


def check(record) -> str | None:
    """Why ``record`` cannot be stored (the reason names the field), or None when it can.

    Never raises for a record of the five parsed types. A record that passes is made to fit its
    columns (free text cut, money rounded to the column's places), so its row can be built and
    its org-local day worked out without error (rows.RowBuilder, lib.dates.reporting_day)."""
    kind = type(record)
    if kind is ParsedRequest:
        return _request(record)
    if kind is ParsedAggregate:
        return _aggregate(record)
    if kind is ParsedActivity:
        return _activity(record)
    if kind is ParsedBilled:
        return _billed(record)
    if kind is ParsedFailure:
        return _failure(record)
    return f"not a parsed record: {kind.__name__}"


def _request(r: ParsedRequest) -> str | None:
    ts = r.timestamp
    if type(ts) is not datetime or ts.tzinfo is None or not EARLIEST <= ts <= latest():
        return _time_reason(ts, "timestamp")
    for name in _REQUEST_TOKENS:
        value = getattr(r, name)
        if type(value) is not int or not 0 <= value <= MAX_REQUEST_TOKENS:
            return _count_reason(value, name, MAX_REQUEST_TOKENS)
    value = r.web_search_requests
    if type(value) is not int or not 0 <= value <= MAX_COUNT:
        return _count_reason(value, "web_search_requests", MAX_COUNT)
    if r.reported_cost is not None and (reason := _money(r, "reported_cost", MAX_REQUEST_USD)):
        return reason
    for name, size in _FREE_FIELDS:
        value = getattr(r, name)
        if type(value) is not str:
            return f"field {name} is not text"
        if len(value) > size or not value.isprintable():
            setattr(r, name, _UNSTORABLE.sub("", value)[:size])
    if r.dimensions is not None and (reason := dimensions.reason(r.dimensions)):
        return reason
    return _texts(r, ParsedRequest) or _model(r.raw_model)


def _aggregate(a: ParsedAggregate) -> str | None:
    reason = _bucket(a.start, a.width)
    if reason:
        return reason
    for name in (*_REQUEST_TOKENS, "web_search_requests"):
        limit = MAX_COUNT if name == "web_search_requests" else MAX_BUCKET_TOKENS
        value = getattr(a, name)
        if type(value) is not int or not 0 <= value <= limit:
            return _count_reason(value, name, limit)
    if a.requests is not None and (type(a.requests) is not int or not 0 <= a.requests <= MAX_COUNT):
        return _count_reason(a.requests, "requests", MAX_COUNT)
    if a.reported_cost is not None and (reason := _money(a, "reported_cost", MAX_BUCKET_USD)):
        return reason
    return _texts(a, ParsedAggregate) or _model(a.raw_model)


def _activity(a: ParsedActivity) -> str | None:
    reason = _bucket(a.start, a.width)
    if reason:
        return reason
    for name in _ACTIVITY_COUNTS:
        value = getattr(a, name)
        if type(value) is not int or not 0 <= value <= MAX_COUNT:
            return _count_reason(value, name, MAX_COUNT)
    seconds = a.active_seconds
    if type(seconds) is not Decimal or not seconds.is_finite() or not 0 <= seconds <= MAX_SECONDS:
        return f"field active_seconds is out of range: {str(seconds)[:40]}"
    if type(a.detail) is not dict:
        return "field detail is not an object"
    a.detail = _fit_detail(a.detail)
    return _texts(a, ParsedActivity)


def _billed(b: ParsedBilled) -> str | None:
    day = b.day
    if type(day) is not date or not EARLIEST.date() <= day <= latest().date():
        return _time_reason(day, "day")
    return _money(b, "amount", MAX_BUCKET_USD) or _texts(b, ParsedBilled) or (
        _model(b.raw_model) if b.raw_model else None
    )


def _failure(f: ParsedFailure) -> str | None:
    ts = f.timestamp
    if type(ts) is not datetime or ts.tzinfo is None or not EARLIEST <= ts <= latest():
        return _time_reason(ts, "timestamp")
    if type(f.error) is str and (len(f.error) > 60 or not f.error.isprintable()):
        f.error = _CONTROL.sub("", f.error)[:60]  # a label only: made to fit, like free text
    return _texts(f, ParsedFailure) or _model(f.raw_model)


def _bucket(start, width) -> str | None:
    if type(start) is not datetime or start.tzinfo is None or not EARLIEST <= start <= latest():
        return _time_reason(start, "start")
    if width not in WIDTHS:
        return f"field width is {str(width)[:10]!r}, not one of 1d, 1h, 1m or empty"
    return None


def _texts(record, kind: type) -> str | None:
    """The reason an id, key or name of ``record`` does not fit its column, or None."""
    for name, size in _ID_FIELDS[kind]:
        value = getattr(record, name)
        if type(value) is not str:
            return f"field {name} is not text"
        if len(value) > size:
            return f"field {name} is too long ({len(value)} characters, at most {size})"
        if not value.isprintable() and _CONTROL.search(value):  # isprintable: the fast common case
            return f"field {name} holds a control character (NUL, tab, newline…) or is not valid text"
    return None


def _model(raw_model: str) -> str | None:
    """Whether the normalised model id fits its column (only worked out for a long or non-ASCII
    name: normalising only shortens an ASCII name)."""
    if len(raw_model) > MODEL_WIDTH or not raw_model.isascii():
        model = normalize_model(raw_model)
        if len(model) > MODEL_WIDTH:
            return f"field model is too long ({len(model)} characters once normalised, at most {MODEL_WIDTH})"
    return None


def _money(record, name: str, limit: Decimal) -> str | None:
    """Why ``record.<name>`` is not an amount in 0..limit; rounds it to the column's places."""
    value = getattr(record, name)
    if type(value) is not Decimal or not value.is_finite():
        return f"field {name} is not a finite number: {str(value)[:40]!r}"
    if not 0 <= value <= limit:
        return f"field {name} is out of range: {str(value)[:40]} (0 to {limit})"
    if value.as_tuple().exponent < -MAX_PLACES:  # an int: the value is finite
        setattr(record, name, value.quantize(MONEY_SCALE))
    return None


def _count_reason(value, name: str, limit: int) -> str:
    if type(value) is not int:
        return f"field {name} is not a whole number: {str(value)[:40]!r}"
    return f"field {name} is out of range: {str(value)[:40]} (0 to {limit})"


def _time_reason(value, name: str) -> str:
    if not isinstance(value, datetime | date):
        return f"field {name} is not a time"
    if isinstance(value, datetime) and value.tzinfo is None:
        return f"field {name} has no time zone"
    return (f"field {name} is out of range: {value.isoformat()[:40]} (from {EARLIEST.date()} to a day "
            "ahead of now)")


def _fit_detail(detail: dict, depth: int = 0) -> dict:
    """``detail`` with every string made to fit (control characters dropped, cut to DETAIL_WIDTH);
    nested objects past three levels are dropped."""
    fitted = {}
    for key, value in detail.items():
        key = _fit(str(key))
        if isinstance(value, str):
            value = _fit(value)
        elif isinstance(value, dict):
            if depth >= 3:
                continue
            value = _fit_detail(value, depth + 1)
        elif not (value is None or isinstance(value, bool | int)):
            value = _fit(str(value))
        fitted[key] = value
    return fitted


def _fit(text: str) -> str:
    return (text if text.isprintable() else _UNSTORABLE.sub("", text))[:DETAIL_WIDTH]


# --- The one guard --------------------------------------------------------------------------------

_CHECKS = {
    ParsedRequest: _request, ParsedAggregate: _aggregate, ParsedActivity: _activity, ParsedBilled: _billed,
    ParsedFailure: _failure,
}


def _check_inner(item) -> str | None:
    """check() of a record, or of the record an item carries (an OTel CumulativePoint); None for
    anything else."""
    checker = _CHECKS.get(type(item))
    if checker is not None:
        return checker(item)
    inner = getattr(item, "record", None)
    return check(inner) if type(inner) in _CHECKS else None


def guarded(build: Callable, item, where: str, line: int | Callable[[], int], context: str = ""):
    """What ``build(item)`` makes of one source record, checked: its output as it came (a record,
    a list of records, None or a parser's own marker for nothing billable), or a ``Rejected(where,
    line, reason)`` when building it fails in any way (RowError names the field; any other
    exception is one bad value of this record) or a record in it fails ``check``. A record that
    is not one of the five parsed types but has a ``record`` (an OTel CumulativePoint) is checked
    by that. Never raises an Exception: one record cannot stop the file or body it is in.

    ``line`` may be a function, called only for a rejection (counting lines costs); ``context``
    prefixes the reason (where in a page the record sits)."""
    try:
        out = build(item)
        checker = _CHECKS.get(type(out))
        if checker is not None:  # the usual case: one record
            reason = checker(out)
        elif type(out) is list:
            reason = next(filter(None, map(_check_inner, out)), None)
        else:  # a CumulativePoint, nothing billable, or a parser's own marker
            reason = _check_inner(out)
        if reason is None:
            return out
    except RowError as exc:
        reason = str(exc)
    except Exception as exc:  # noqa: BLE001 - any failure of one record rejects that record only
        reason = f"unreadable record ({type(exc).__name__}: {str(exc)[:100]})"
    if callable(line):
        try:
            line = line()
        except Exception:  # noqa: BLE001
            line = 0
    return Rejected(where, line, f"{context}: {reason}" if context else reason)


# --- Reading a source's numbers (shared by the parsers) ---------------------------------------


def count(value, field: str, text: bool = False, limit: int = MAX_REQUEST_TOKENS) -> int | None:
    """A whole number, None when absent; RowError unless it is one in 0..``limit``: an int, a float
    or Decimal with a whole value, or (``text``: a CSV cell or a string-typed value, where an empty
    one is absent) a string of one."""
    if type(value) is int:  # most counts: a JSON number, or a CSV cell once read below
        if 0 <= value <= limit:
            return value
        raise RowError(f"field {field} is out of range: {str(value)[:40]}")
    if value is None or (text and isinstance(value, str) and not value.strip()):
        return None
    if text and isinstance(value, str):
        if len(value) > 64:
            raise RowError(f"field {field} is not a whole number: {value[:40]!r}")
        try:  # int() reads a whole number as Decimal() does (blanks, sign, "_"), several times faster
            number = int(value)
        except ValueError:
            number = None  # not a plain whole number ("1.0", "1e3", junk): Decimal decides
        if number is not None:
            return count(number, field, limit=limit)
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise RowError(f"field {field} is not a whole number: {value[:40]!r}") from None
    if isinstance(value, float):
        whole = value.is_integer()  # False for NaN and the infinities too
    elif isinstance(value, Decimal):
        whole = value.is_finite() and value == value.to_integral_value()
    else:
        whole = isinstance(value, int) and not isinstance(value, bool)
    if not whole:
        raise RowError(f"field {field} is not a whole number: {str(value)[:40]!r}")
    if not 0 <= value <= limit:
        raise RowError(f"field {field} is out of range: {str(value)[:40]}")
    return int(value)


def money(value, field: str, text: bool = False, limit: Decimal = MAX_REQUEST_USD) -> Decimal | None:
    """USD as an exact Decimal in 0..``limit`` (a JSON float through its shortest repr), None when
    absent. ``text``: the amount may be text (a CSV cell; some LiteLLM versions log it as a string).
    RowError for anything else, NaN and the infinities included."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str) or (isinstance(value, str) and not text):
        raise RowError(f"field {field} is not a number: {str(value)[:40]!r}")
    if isinstance(value, str) and len(value) > 64:
        raise RowError(f"field {field} is not a number: {value[:40]!r}")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        raise RowError(f"field {field} is not a number: {str(value)[:40]!r}") from None
    if not amount.is_finite() or not 0 <= amount <= limit:
        raise RowError(f"field {field} is out of range: {str(value)[:40]}")
    return amount
