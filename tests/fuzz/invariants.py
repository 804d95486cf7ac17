"""What every accepted record and every stored row must satisfy, whatever was sent.

Bounds come from the model columns a value is stored in (text lengths, integer and decimal
sizes), narrowed by the issue's rules: counts are non-negative whole numbers under 10**12 for a
request (at most 10**13 for a bucket, an org's sums), money is finite, times are aware and between
2023-01-01 and a day from now, text holds no NUL, other control character or lone surrogate
(PostgreSQL and UTF-8 refuse those; free text, such as a session id, only NUL and lone
surrogates). An accepted record must also pass the project's own record check
(costdash.ingest.parsers.checks.check) when it exists.
"""
from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
import importlib
import math
import re

from django.db import models

from costdash.accounts.models import Developer, Identity
from costdash.ingest.models import ActivityRecord, BilledCost, FailedCall, MetricSeries, UsageAggregate, UsageEvent
from costdash.ingest.parsers.base import (
    ParsedActivity,
    ParsedAggregate,
    ParsedBilled,
    ParsedFailure,
    ParsedRequest,
    Rejected,
)
from costdash.pricing.rates import normalize_model
from costdash.rollups.models import DailyCost, DeveloperDay

EARLIEST = datetime(2023, 1, 1, tzinfo=UTC)
MAX_COUNT = 10**12  # one request's tokens (the bound)
MAX_BUCKET_COUNT = 10**13 + 1  # a bucket's or a day's sums: a whole org's (parsers/checks.MAX_BUCKET_TOKENS)
BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")  # tab, CR and LF are text
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")  # what no PostgreSQL text column holds
# Free text names nothing that keys, prices or attributes a record: it only has to be storable
# (the project's spec, parsers/checks.FREE, keeps its other characters as sent).
FREE_TEXT = {"session_id", "project"}
MODEL_OF = {ParsedRequest: UsageEvent, ParsedAggregate: UsageAggregate, ParsedActivity: ActivityRecord,
            ParsedBilled: BilledCost, ParsedFailure: FailedCall}
ALSO = {"timestamp": UsageEvent._meta.get_field("timestamp"), "identity": Identity._meta.get_field("external_id"),
        "email": Developer._meta.get_field("email")}
STORED = (UsageEvent, UsageAggregate, ActivityRecord, BilledCost, DailyCost, DeveloperDay)


def latest() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)


def value_problems(name: str, value, column: models.Field, count_bound: int = MAX_COUNT) -> list[str]:
    """What is wrong with ``value`` for ``column`` (empty: nothing)."""
    if value is None:
        return [] if column.null or isinstance(column, models.CharField) else [f"{name} is None"]
    if isinstance(column, models.CharField | models.TextField):
        if isinstance(value, dict) and isinstance(column, models.TextField):
            return json_problems(name, value)  # stored as JSON text (a request's dimensions)
        if not isinstance(value, str):
            return [f"{name} is {type(value).__name__}, not text"]
        bad = (UNSTORABLE if name in FREE_TEXT else BAD_TEXT).search(value)
        found = [f"{name} has {bad.group()!r}"] if bad else []
        if column.max_length and len(value) > column.max_length:
            found.append(f"{name} is {len(value)} characters, over its column's {column.max_length}")
        return found
    if isinstance(column, models.BooleanField):
        return [] if isinstance(value, bool) else [f"{name} is {type(value).__name__}, not bool"]
    if isinstance(column, models.IntegerField):  # Big, Positive... are subclasses
        bound = min(count_bound, 2**31 if type(column) is models.IntegerField else 2**63)
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{name} is {type(value).__name__}, not int"]
        return [] if 0 <= value < bound else [f"{name} = {value} is outside 0..{bound}"]
    if isinstance(column, models.DecimalField):
        return decimal_problems(name, value, column.max_digits - column.decimal_places)
    if isinstance(column, models.DateTimeField):
        if not isinstance(value, datetime) or value.tzinfo is None:
            return [f"{name} = {value!r} is not an aware datetime"]
        return [] if EARLIEST <= value <= latest() else [f"{name} = {value.isoformat()} is outside 2023..now+1d"]
    if isinstance(column, models.DateField):
        if not isinstance(value, date):
            return [f"{name} = {value!r} is not a date"]
        return [] if EARLIEST.date() <= value <= latest().date() else [f"{name} = {value} is outside 2023..now+1d"]
    if isinstance(column, models.JSONField):
        return json_problems(name, value)
    return []


def decimal_problems(name: str, value, whole_digits: int) -> list[str]:
    if not isinstance(value, Decimal):
        return [f"{name} is {type(value).__name__}, not Decimal"]
    if not value.is_finite():
        return [f"{name} = {value} is not finite"]
    if abs(value) >= Decimal(10) ** whole_digits:
        return [f"{name} = {value} does not fit its column ({whole_digits} whole digits)"]
    return []


def json_problems(name: str, value) -> list[str]:
    """JSON stored in PostgreSQL's jsonb: no NUL (refused there), no lone surrogate, finite numbers."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in json_problems(f"{name}.{k}", str(k)) + json_problems(name, v)]
    if isinstance(value, list):
        return [p for v in value for p in json_problems(name, v)]
    if isinstance(value, str) and UNSTORABLE.search(value):
        return [f"{name} has NUL or a lone surrogate"]
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{name} = {value} is not finite"]
    return []


def record_problems(record) -> list[str]:
    """What is wrong with one parsed record, checked against the columns it is stored in."""
    model = MODEL_OF[type(record)]
    bound = MAX_COUNT if model is UsageEvent else MAX_BUCKET_COUNT
    found = []
    for f in fields(record):
        value = getattr(record, f.name)
        if f.name in ALSO:
            found += value_problems(f.name, value, ALSO[f.name])
            continue
        try:
            column = model._meta.get_field(f.name)
        except Exception:  # a record field stored elsewhere or not at all (requests, detail...)
            column = None
        if column is not None and not column.is_relation:
            found += value_problems(f.name, value, column, bound)
        elif f.name == "requests":
            found += value_problems(f.name, value, models.IntegerField(null=True))
    if hasattr(record, "raw_model"):
        found += value_problems("normalised model", normalize_model(record.raw_model), UsageEvent._meta.get_field("model"))
    return found + project_check(record)


def project_check(record) -> list[str]:
    """The project's shared record check, once it exists (helper A1 adds parsers/checks.py)."""
    try:
        checks = importlib.import_module("costdash.ingest.parsers.checks")
    except ModuleNotFoundError:
        return []
    problem = checks.check(record)
    if problem:
        return [f"the project's check refuses an accepted record: {problem}"]
    return []


def outcome_problems(item) -> list[str]:
    """What is wrong with one item a parser yielded: a sane record, or a Rejected with a reason."""
    if isinstance(item, Rejected):
        ok = isinstance(item.reason, str) and item.reason.strip() and isinstance(item.line, int) and item.line >= 0
        return [] if ok else [f"a Rejected without a reason or line: {item!r}"]
    if type(item) in MODEL_OF:
        return record_problems(item)
    if is_dataclass(item) and type(item).__name__ == "CumulativePoint":  # otel_metrics' running total
        return decimal_problems("cumulative value", item.value, 20) + record_problems(item.record)
    return [f"an item that is neither a record nor a Rejected: {type(item).__name__}"]


def stored_problems() -> list[str]:
    """What is wrong with any row now in the usage, aggregate and rollup tables."""
    found = []
    for model in (*STORED, MetricSeries):
        columns = [f for f in model._meta.concrete_fields if not f.is_relation and not f.choices]
        for row in model.objects.all():
            for column in columns:
                if model is MetricSeries and isinstance(column, models.IntegerField):
                    continue  # nanosecond times and -1 markers, not counts
                if model is MetricSeries and isinstance(column, models.DecimalField):
                    found += decimal_problems(f"{model.__name__}.{column.name}", getattr(row, column.name), 20)
                    continue
                found += [f"{model.__name__} {row.pk}: {p}" for p in
                          value_problems(column.name, getattr(row, column.attname), column,
                                         MAX_COUNT if model is UsageEvent else MAX_BUCKET_COUNT)]
    return found
