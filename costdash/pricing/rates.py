"""Price one request: normalise the model id, find its effective-dated rate, multiply exactly.

The core (``normalize_model``, ``Rate``, ``RateTable``, ``cost_of`` given a table) is pure Python: no
Django, no database, no floats. ``RateTable.from_db`` and ``cost_of(..., table=None)`` are the only
doors to the database, and both import Django lazily.

The rules come from ../shared/formats/pricing.md; the figures live in ``rates.toml``.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
import logging
from pathlib import Path
import re
import tomllib
from typing import Any, Iterable, Mapping

from costdash.lib.money import MTOK

logger = logging.getLogger(__name__)

DEFAULT_RATE_FILE = Path(__file__).resolve().parent / "rates.toml"

STANDARD = "standard"
FAST = "fast"
SPEEDS = (STANDARD, FAST)
CONFIDENCES = ("verified", "partial", "unverified", "")
SYNTHETIC = "<synthetic>"
ONE = Decimal(1)

# The per-MTok price columns, in the order a request's token categories are listed.
PRICE_FIELDS = ("input", "cache_write_5m", "cache_write_1h", "cache_read", "output")


@dataclass(frozen=True, slots=True)
class Usage:
    """One request's billable usage, as a parser saw it."""

    model: str  # raw id as seen in data, or already normalised
    input_tokens: int = 0  # uncached input
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0
    web_search_requests: int = 0
    speed: str = ""  # "fast" means fast mode; anything else standard
    inference_geo: str = ""  # "us" => the row's us_multiplier
    is_batch: bool = False  # Batch API: 50% off every token category

    @property
    def total_input(self) -> int:
        """The long-context test's figure: uncached input + cache writes + cache reads."""
        return self.input_tokens + self.cache_write_5m_tokens + self.cache_write_1h_tokens + self.cache_read_tokens


# ------------------------------------------------------------------------------------------ model ids

_ARN_OR_PROVIDER = re.compile(r"^.*/")  # LiteLLM "bedrock/", "vertex_ai/", "anthropic/"; Bedrock ARNs
_BEDROCK_PREFIX = re.compile(r"^(?:[a-z]+(?:-[a-z]+)?\.)?anthropic\.")  # us./eu./au./jp./apac./global.
_BEDROCK_VERSION = re.compile(r"-v\d+(?::[0-9a-z]+)*$")  # -v1:0, -v2:0, -v1, -v1:0:200k
_DATE_SUFFIX = re.compile(r"-\d{8}$")
_DOTTED_VERSION = re.compile(r"(?<=\d)\.(?=\d)")  # OpenRouter-style "claude-sonnet-4.5"

# Anthropic's documented aliases that are not the dated id minus its date. Exact strings, not patterns.
ALIASES = {
    "claude-opus-4-0": "claude-opus-4",
    "claude-sonnet-4-0": "claude-sonnet-4",
    "claude-3-opus-latest": "claude-3-opus",
    "claude-3-7-sonnet-latest": "claude-3-7-sonnet",
    "claude-3-5-haiku-latest": "claude-3-5-haiku",
}


@lru_cache(maxsize=4096)
def normalize_model(raw: str) -> str:
    """The rate-table key for a model id as it appears in any source.

    Lowercases and strips, in order: provider/path prefixes (``bedrock/``, ``vertex_ai/``, ARNs),
    Bedrock's region + ``anthropic.`` prefix, Claude Code's ``[1m]``, Vertex's ``@date``, Bedrock's
    ``-v1:0``, a trailing ``-YYYYMMDD``. Nothing fuzzy: the result must then match a row exactly, so
    ``claude-sonnet-5`` can never become ``claude-sonnet-4-5``. ``<synthetic>`` is returned as is.
    Idempotent: ``normalize_model(normalize_model(x)) == normalize_model(x)``.
    """
    text = (raw or "").strip().lower()
    if text == SYNTHETIC:
        return text
    text = _ARN_OR_PROVIDER.sub("", text)
    text = _BEDROCK_PREFIX.sub("", text)
    text = text.removesuffix("[1m]")
    text = text.split("@", 1)[0]
    text = _BEDROCK_VERSION.sub("", text)
    text = _DATE_SUFFIX.sub("", text)
    text = _DOTTED_VERSION.sub("-", text)
    return ALIASES.get(text, text)


# ------------------------------------------------------------------------------------------ rows


def _decimal(value: Any, name: str) -> Decimal:
    """A price as an exact Decimal. Floats are refused: they cannot hold 3.75 or 0.1 exactly."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{name} must be a Decimal, int or str, not {type(value).__name__}")
    if isinstance(value, Decimal):
        return value
    return Decimal(value if isinstance(value, int) else str(value))


def _date(value: Any, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        raise TypeError(f"{name} must be a date, not a datetime")
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@dataclass(frozen=True, slots=True)
class Rate:
    """One effective-dated price row, USD per million tokens per category.

    Applies on UTC days ``effective_from <= day < effective_until`` (either end may be open) to
    requests of ``speed`` whose total input exceeds ``min_input_tokens`` (0 = every request).
    """

    model: str
    input: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal
    cache_read: Decimal
    output: Decimal
    us_multiplier: Decimal = ONE
    speed: str = STANDARD
    min_input_tokens: int = 0
    effective_from: date | None = None
    effective_until: date | None = None
    confidence: str = ""
    note: str = ""
    from_rate_file: bool = False

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> Rate:
        """Build and validate a row from a dict (a TOML table, a ``ModelPrice.values()`` row).

        The model key is normalised, so an admin who types a dated id still gets a working row.
        Raises ValueError/TypeError naming the row on any bad or unknown field.
        """
        label = f"rate row {row.get('model')!r}"
        unknown = set(row) - ALL_FIELDS
        if unknown:
            raise ValueError(f"{label}: unknown field(s) {sorted(unknown)}")
        missing = {"model", *PRICE_FIELDS} - set(row)
        if missing:
            raise ValueError(f"{label}: missing field(s) {sorted(missing)}")
        rate = cls(
            model=normalize_model(str(row["model"])),
            **{name: _decimal(row[name], f"{label} {name}") for name in PRICE_FIELDS},
            us_multiplier=_decimal(row.get("us_multiplier", ONE), f"{label} us_multiplier"),
            speed=row.get("speed") or STANDARD,
            min_input_tokens=int(row.get("min_input_tokens") or 0),
            effective_from=_date(row.get("effective_from"), f"{label} effective_from"),
            effective_until=_date(row.get("effective_until"), f"{label} effective_until"),
            confidence=row.get("confidence") or "",
            note=row.get("note") or "",
            from_rate_file=bool(row.get("from_rate_file", False)),
        )
        rate._check(label)
        return rate

    def _check(self, label: str) -> None:
        if not self.model:
            raise ValueError(f"{label}: empty model")
        if self.speed not in SPEEDS:
            raise ValueError(f"{label}: speed must be one of {SPEEDS}, not {self.speed!r}")
        if self.confidence not in CONFIDENCES:
            raise ValueError(f"{label}: confidence must be one of {CONFIDENCES}, not {self.confidence!r}")
        if self.min_input_tokens < 0:
            raise ValueError(f"{label}: min_input_tokens must not be negative")
        if any(getattr(self, name) < 0 for name in PRICE_FIELDS) or self.us_multiplier <= 0:
            raise ValueError(f"{label}: prices must be >= 0 and us_multiplier > 0")
        if self.effective_from and self.effective_until and self.effective_from >= self.effective_until:
            raise ValueError(f"{label}: effective_from must be before effective_until")

    @property
    def key(self) -> tuple[str, str, int, date | None]:
        """The identity of a row: ModelPrice's unique (model, speed, min_input_tokens, effective_from)."""
        return (self.model, self.speed, self.min_input_tokens, self.effective_from)

    def covers(self, day: date) -> bool:
        """True when this row is in force on ``day`` (a UTC date)."""
        if self.effective_from is not None and day < self.effective_from:
            return False
        return self.effective_until is None or day < self.effective_until


ALL_FIELDS = frozenset(f.name for f in fields(Rate))


@dataclass(frozen=True, slots=True)
class Fees:
    """Charges that are not per-model token rates."""

    web_search_per_request: Decimal = Decimal("0.01")  # $10 per 1,000 searches
    batch_multiplier: Decimal = Decimal("0.5")  # Batch API: 50% off every token category


@dataclass(frozen=True, slots=True)
class RateFile:
    """The parsed, validated contents of a rate file."""

    version: str
    fees: Fees
    rates: tuple[Rate, ...]


def read_rate_file(path: Path | str | None = None) -> RateFile:
    """Parse and validate a rate file (default: the checked-in ``rates.toml``).

    Numbers are read as Decimal straight from the TOML text (never through float). Every row is
    marked ``from_rate_file``. Raises ValueError on a bad row or on two rows with the same key.
    """
    with open(path or DEFAULT_RATE_FILE, "rb") as handle:
        data = tomllib.load(handle, parse_float=Decimal)
    raw_fees = data.get("fees", {})
    fees = Fees(
        web_search_per_request=_decimal(raw_fees.get("web_search_per_1000", 10), "web_search_per_1000") / 1000,
        batch_multiplier=_decimal(raw_fees.get("batch_multiplier", "0.5"), "batch_multiplier"),
    )
    rates = tuple(Rate.from_mapping({**row, "from_rate_file": True}) for row in data.get("rate", []))
    seen: set[tuple] = set()
    for rate in rates:
        if rate.key in seen:
            raise ValueError(f"rate file has two rows for {rate.key}")
        seen.add(rate.key)
    return RateFile(version=str(data.get("version", "")), fees=fees, rates=rates)


# ------------------------------------------------------------------------------------------ the table


class RateTable:
    """Every known rate row, indexed for fast per-request lookup.

    Immutable after construction, apart from a memo of (model, day, speed) -> tiers in force, so
    one table can be shared by every request in a process.
    """

    _MEMO_LIMIT = 100_000  # (model, day, speed) keys; years of data for dozens of models fit

    def __init__(self, rates: Iterable[Rate], fees: Fees | None = None):
        self.fees = fees or Fees()
        self.rates: tuple[Rate, ...] = tuple(rates)
        self._by_model_speed: dict[tuple[str, str], list[Rate]] = {}
        for rate in self.rates:
            self._by_model_speed.setdefault((rate.model, rate.speed), []).append(rate)
        self._memo: dict[tuple[str, date, str], tuple[Rate, ...]] = {}

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]], fees: Fees | None = None) -> RateTable:
        """A table from dict rows (``ModelPrice`` field names); see ``Rate.from_mapping``."""
        return cls((Rate.from_mapping(row) for row in rows), fees)

    @classmethod
    def from_file(cls, path: Path | str = DEFAULT_RATE_FILE) -> RateTable:
        """A table straight from a rate file, without the database."""
        parsed = read_rate_file(path)
        return cls(parsed.rates, parsed.fees)

    @classmethod
    def from_db(cls, using: str = "default") -> RateTable:
        """A table from the ModelPrice rows (file rows plus admin-added ones).

        The fees are global facts kept only in the checked-in rate file, so they come from there.
        """
        from costdash.pricing.models import ModelPrice  # Django stays out of the pure core

        rates = []
        for row in ModelPrice.objects.using(using).values("id", *sorted(ALL_FIELDS)):
            row_id = row.pop("id")
            try:
                rates.append(Rate.from_mapping(row))
            except (TypeError, ValueError):
                # One bad hand-made row must not unprice every request: skip it, loudly.
                logger.exception("ModelPrice %s is invalid and was skipped", row_id)
        return cls(rates, read_rate_file().fees)

    def known_models(self) -> set[str]:
        """Every normalised model id that has at least one row."""
        return {model for model, _speed in self._by_model_speed}

    def lookup(self, model: str, day: date, speed: str, total_input: int) -> Rate | None:
        """The row that prices a request, or None (unknown model, or no row in force that day).

        ``model`` may be raw or normalised. A fast request uses the fast rows in force that day,
        else the standard ones (Opus 4.6 after its 6x ended, models without fast mode). Among the
        rows in force, the one with the largest ``min_input_tokens`` that ``total_input`` strictly
        exceeds wins; a 0 tier applies to every request.
        """
        return self._lookup(normalize_model(model), day, speed, total_input)

    def _lookup(self, model: str, day: date, speed: str, total_input: int) -> Rate | None:
        if speed == FAST:
            rate = _pick_tier(self._tiers(model, day, FAST), total_input)
            if rate is not None:
                return rate
        return _pick_tier(self._tiers(model, day, STANDARD), total_input)

    def _tiers(self, model: str, day: date, speed: str) -> tuple[Rate, ...]:
        """Rows in force for (model, day, speed), one per tier, largest ``min_input_tokens`` first."""
        key = (model, day, speed)
        tiers = self._memo.get(key)
        if tiers is None:
            tiers = _tiers_in_force(self._by_model_speed.get((model, speed), ()), day)
            if len(self._memo) >= self._MEMO_LIMIT:
                self._memo.clear()
            self._memo[key] = tiers
        return tiers


def _tiers_in_force(candidates: Iterable[Rate], day: date) -> tuple[Rate, ...]:
    """Per tier, the in-force row with the latest ``effective_from``; an admin row wins a tie.

    Overlaps only happen when an admin adds an override, and the newer, hand-made row is the intent.
    """
    best: dict[int, Rate] = {}
    for rate in candidates:
        if not rate.covers(day):
            continue
        current = best.get(rate.min_input_tokens)
        if current is None or _precedence(rate) > _precedence(current):
            best[rate.min_input_tokens] = rate
    return tuple(sorted(best.values(), key=lambda r: r.min_input_tokens, reverse=True))


def _precedence(rate: Rate) -> tuple[date, bool]:
    return (rate.effective_from or date.min, not rate.from_rate_file)


def _pick_tier(tiers: tuple[Rate, ...], total_input: int) -> Rate | None:
    for rate in tiers:  # largest threshold first
        if rate.min_input_tokens == 0 or total_input > rate.min_input_tokens:
            return rate
    return None


# ------------------------------------------------------------------------------------------ pricing


def _utc_day(at: datetime) -> date:
    if at.tzinfo is timezone.utc:  # the common case: Django hands out UTC datetimes
        return at.date()
    offset = at.utcoffset()
    if offset is None:
        raise ValueError("cost_of needs an aware datetime, got a naive one")
    return (at - offset).date()


def _process_table() -> RateTable:
    from costdash.pricing.services import rate_table  # services imports this module

    return rate_table()


def cost_of(usage: Usage, at: datetime, table: RateTable | None = None) -> Decimal | None:
    """Exact USD list price of one request made at ``at`` (aware; its UTC date picks the rows).

    Returns None - the "unpriced" flag, never $0 - when the model is unknown, has no row in force
    that day, or is ``<synthetic>`` (not a model; callers skip those lines anyway).

    Rules: the whole request is billed at the long-context tier when its total input exceeds the
    tier's threshold; fast mode uses the fast row if one is in force, else standard; ``inference_geo``
    "us" multiplies every token category by the row's ``us_multiplier``; Batch halves every token
    category and, because Batch cannot run fast, prices at standard speed; web search adds a flat
    per-search fee that neither geo nor Batch changes. No rounding: callers round for display.

    ``table`` defaults to the process-wide table built from the database (services.rate_table).
    """
    model = normalize_model(usage.model)
    if model == SYNTHETIC:
        return None
    if table is None:
        table = _process_table()
    speed = STANDARD if usage.is_batch else (usage.speed or "").lower()
    rate = table._lookup(model, _utc_day(at), speed, usage.total_input)
    if rate is None:
        return None
    cost = (
        usage.input_tokens * rate.input
        + usage.cache_write_5m_tokens * rate.cache_write_5m
        + usage.cache_write_1h_tokens * rate.cache_write_1h
        + usage.cache_read_tokens * rate.cache_read
        + usage.output_tokens * rate.output
    ) / MTOK
    if usage.inference_geo and usage.inference_geo.lower() == "us":
        cost *= rate.us_multiplier
    if usage.is_batch:
        cost *= table.fees.batch_multiplier
    if usage.web_search_requests:
        cost += usage.web_search_requests * table.fees.web_search_per_request
    return cost
