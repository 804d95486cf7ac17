"""Re-pricing grouped token sums at standard rates: the estimates the cache and models pages share.

``DailyCost.cost`` is the recorded price of each request (long context, fast mode, Batch and US
inference included). The caching savings and the model what-if instead price *token sums* with a
model's standard row (tier 0: not long-context; standard speed; no Batch or geo) in force on the
day. That is an estimate, and the pages say so: a day's sum no longer knows which of its requests
crossed a long-context threshold. Both sides of every comparison are priced the same way, so the
difference isolates what is compared (caching, or the model) from those surcharges.

Rates are effective-dated, so a query grouping a year of rows must not lump together days priced
differently. ``rate_period`` labels each row with the first day of its model's price period (cut
wherever a standard row of that model starts or stops): inside a period the model's rate is
constant, so a group (developer, model, period) prices exactly like its days priced one by one.
Unknown models (or days without a row) price to None: flagged, never $0.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Case, DateField, F, Q, Sum, Value, When

from costdash.lib.money import MTOK, ZERO
from costdash.pricing.rates import STANDARD, Fees, Rate, RateTable

# DailyCost columns summed by every grouped read, in Tokens' field order.
SUM_FIELDS = (
    "input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens",
    "web_search_requests",
)


def token_sums() -> dict[str, Sum]:
    """``annotate(**token_sums())``: one Sum per DailyCost token column (and web searches)."""
    return {name: Sum(name) for name in SUM_FIELDS}


@dataclass(frozen=True, slots=True)
class Tokens:
    """Token sums of some DailyCost rows. ``input`` is uncached input, as in DailyCost."""

    input: int = 0
    output: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    cache_read: int = 0
    web_search: int = 0

    @classmethod
    def of(cls, row: dict) -> Tokens:
        """From a ``values(...).annotate(**token_sums())`` row (a NULL sum is 0)."""
        return cls(*(row[name] or 0 for name in SUM_FIELDS))

    def __add__(self, other: Tokens) -> Tokens:
        # Spelled out: dataclasses.fields() per addition was most of a 2,000-developer fold's Python.
        return Tokens(self.input + other.input, self.output + other.output,
                      self.cache_write_5m + other.cache_write_5m, self.cache_write_1h + other.cache_write_1h,
                      self.cache_read + other.cache_read, self.web_search + other.web_search)

    @property
    def cache_writes(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    @property
    def all_input(self) -> int:
        """Every input token: uncached + cache writes + cache reads (the hit rate's denominator)."""
        return self.input + self.cache_writes + self.cache_read

    @property
    def total(self) -> int:
        """Every token of every class, output included."""
        return self.all_input + self.output

    @property
    def hit_rate(self) -> Decimal | None:
        """cache_read / all_input as a fraction in [0, 1]; None with no input at all."""
        return Decimal(self.cache_read) / Decimal(self.all_input) if self.all_input else None


def rate_changes(table: RateTable, since: date, until: date) -> dict[str, list[date]]:
    """Per model, the days after ``since`` up to ``until`` on which its standard tier-0 price may
    change (a row of it starts or stops), sorted. Models whose price holds all range are absent."""
    changes: dict[str, set[date]] = {}
    for rate in table.rates:
        if rate.speed != STANDARD or rate.min_input_tokens:
            continue  # standard_rate never reads fast or long-context rows
        for edge in (rate.effective_from, rate.effective_until):
            if edge is not None and since < edge <= until:
                changes.setdefault(rate.model, set()).add(edge)
    return {model: sorted(edges) for model, edges in changes.items()}


def rate_period(table: RateTable, since: date, until: date, *, priced_as: Iterable[str] = (), field: str = "day"):
    """A DailyCost expression: the first day of the row's rate period, within which its model's
    standard price is constant: ``since``, or the latest price change on or before the row's day.

    ``priced_as``: models the rows will also be priced as (the what-if's target); their price
    changes cut every row's periods too. Only models whose price changes inside the range get a
    condition, so a year usually groups as one period per model. ``field``: the row's day, or
    "month" for a monthly row (its first day) of a month no price change falls inside (``period_sums``).
    """
    changes = rate_changes(table, since, until)
    shared = {edge for model in priced_as for edge in changes.get(model, ())}
    on_or_after = f"{field}__gte"
    whens = [
        When(model=model, **{on_or_after: edge}, then=Value(edge))
        for model, edges in changes.items()
        for edge in sorted(set(edges) | shared, reverse=True)  # the latest change first: the first match wins
    ]
    whens += [When(**{on_or_after: edge}, then=Value(edge)) for edge in sorted(shared, reverse=True)]
    start = Value(since, output_field=DateField())
    return Case(*whens, default=start, output_field=DateField()) if whens else start


def period_sums(scope, table: RateTable, by: tuple[str, ...], *, model: str = "", priced_as: Iterable[str] = (),
                extra: tuple[str, ...] = ()) -> list[dict]:
    """The scope's rows (``Scope.costs()``, of ``model`` alone when given) summed per ``by`` (columns
    of DailyCost and of the monthly rollups: developer_id, model) and rate period (``rate_period``,
    with ``priced_as``): {*by, period, every SUM_FIELDS column and ``extra`` (e.g. "cost")}. One query.

    The range's whole months in which no standard price starts or stops after their first day are
    read from the per-developer-month rollup (chargeback.MonthlyCost: DailyCost summed per
    developer, month and model; MonthlyDimensionCost under a project filter, summed per project
    too), the other days from the daily rows, all summed together in the database: the same sums
    as grouping the daily rows alone (a monthly row is its days' rows summed, and its whole month
    has one rate period), from about a tenth of the rows over a year.
    """
    query = period_sums_query(scope, table, by, model=model, priced_as=priced_as, extra=extra)
    if not isinstance(query, tuple):  # a queryset (SQLite, or no whole month)
        return list(query)
    with connection.cursor() as cursor:
        cursor.execute(*query)
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:  # PostgreSQL sums bigints as numeric: whole numbers, as the ORM gives them
        for name in SUM_FIELDS:
            row[name] = None if row[name] is None else int(row[name])
    return rows


def period_sums_query(scope, table: RateTable, by: tuple[str, ...], *, model: str = "",
                      priced_as: Iterable[str] = (), extra: tuple[str, ...] = ()):
    """``period_sums``' query: a grouped queryset where no whole month is read monthly (or on
    SQLite, the embedded default: its sums of a raw union would not be exact decimals), else
    (sql, params) of PostgreSQL that sums the monthly and the daily part together.

    Without a project filter, a partial month at either end of the range is read from MonthlyCost
    too when fewer of its days lie outside the range than in it, and its daily rows outside the
    range are subtracted (``chargeback.projects.months_by_difference``): still exact sums, as
    MonthlyCost's rows are exact sums of their days. A group is kept only where daily rows are left
    (``MonthlyCost.daily_rows``), so a (developer, model) of those outside days alone is not shown
    as zeros."""
    from costdash.chargeback.models import MonthlyCost, MonthlyDimensionCost  # chargeback builds on rollups
    from costdash.rollups.models import DailyCost

    columns = (*SUM_FIELDS, *extra)
    since, until = scope.since, scope.until
    priced_as = tuple(priced_as)
    daily = scope.costs()
    if model:
        daily = daily.filter(model=model)
    monthly_q, daily_q, minus_q = _month_split(table, since, until, priced_as, subtract=not scope.project)
    if monthly_q is None or connection.vendor != "postgresql":
        return (daily.annotate(period=rate_period(table, since, until, priced_as=priced_as))
                .values(*by, "period").annotate(**{name: Sum(name) for name in columns}).order_by())
    monthly = scope.of_developers((MonthlyDimensionCost if scope.project else MonthlyCost).objects.filter(monthly_q))
    if scope.project:
        monthly = monthly.filter(project__in=scope.repositories)
    minus = None if minus_q is None else scope.of_developers(DailyCost.objects.filter(minus_q))
    for name in filter(None, (scope.model, model)):
        monthly = monthly.filter(model=name)
        minus = minus if minus is None else minus.filter(model=name)
    daily = daily.filter(daily_q)
    counted = minus is not None  # then every part carries how many daily rows it stands for
    parts = []
    for rows, field, subtracted in ((monthly, "month", False), (daily, "day", False), (minus, "day", True)):
        if rows is None:
            continue
        if counted:
            rows = rows.annotate(n=F("daily_rows") if field == "month" else Value(1))
        parts.append((rows.annotate(period=rate_period(table, since, until, priced_as=priced_as, field=field))
                      .values(*by, "period", *columns, *(("n",) if counted else ())).order_by(), subtracted))
    return sums_of_parts(parts, (*by, "period"), columns, counted=counted)


def sums_of_parts(parts: list[tuple], keys: tuple[str, ...], columns: tuple[str, ...], *,
                  counted: bool) -> tuple[str, list]:
    """(sql, params) of PostgreSQL summing ``columns`` per ``keys`` over ``parts``, (queryset selecting the
    keys and columns by name, subtracted) pairs: a rollup's months and the daily rows around them, and the
    daily rows a month read whole has outside the range, negated. ``counted``: every part also selects
    ``n``, the daily rows a row stands for (``MonthlyCost.daily_rows``, 1 a daily row), and a group is kept
    only where daily rows are left, so one of subtracted days alone does not show as zeros."""
    qn = connection.ops.quote_name
    key_sql = ", ".join(qn(name) for name in keys)
    named = (*columns, "n") if counted else columns
    sql, params = [], []
    for i, (rows, subtracted) in enumerate(parts):
        part_sql, part_params = rows.query.sql_with_params()
        sign = "-" if subtracted else ""
        figures = ", ".join(f"{sign}{qn(name)} AS {qn(name)}" for name in named)
        sql.append(f"(SELECT {key_sql}, {figures} FROM ({part_sql}) AS part{i})")
        params += part_params
    having = " HAVING SUM(n) > 0" if counted else ""
    return (f"SELECT {key_sql}, {', '.join(f'SUM({qn(name)}) AS {qn(name)}' for name in columns)} "
            f"FROM ({' UNION ALL '.join(sql)}) AS parts GROUP BY {key_sql}{having}", params)


def _month_split(table: RateTable, since: date, until: date, priced_as: tuple[str, ...], *,
                 subtract: bool = False) -> tuple[Q | None, Q, Q | None]:
    """(which monthly rows, which daily rows, which daily rows to subtract) make up the range: a
    whole month's rows of a model from the monthly rollup unless that model's standard price (or a
    ``priced_as`` model's: then every model's) starts or stops after the month's first day, the other
    models' and days from the daily rows. ``subtract``: a partial month at either end whose price
    holds for every model is read monthly too, less its days outside the range, when those are fewer
    (``months_by_difference``). (None, every day, None) when no month can be read monthly."""
    from costdash.chargeback.projects import months_by_difference, whole_months  # chargeback builds on rollups
    from costdash.lib.dates import month_after

    everything = Q(day__gte=since, day__lte=until)
    whole = whole_months(since, until)
    span = months_by_difference(since, until) if subtract else None
    if span is None and whole is None:
        return None, everything, None
    first, last, outside = span if span else (*whole, [])
    changes = rate_changes(table, since, until)
    shared = {edge for model in priced_as for edge in changes.get(model, ())}
    by_cut: dict[frozenset | None, list[date]] = {}  # models cut inside the month (None: all) -> months
    partial = Q(pk__in=[])  # the range's days of a partial month that cannot be read monthly
    minus: Q | None = None
    month = first
    while month <= last:
        after = month_after(month)
        cut = frozenset(model for model, edges in changes.items() if any(month < edge < after for edge in edges))
        whole_month = since <= month and after <= until + timedelta(days=1)
        if whole_month:
            by_cut.setdefault(None if any(month < edge < after for edge in shared) else cut, []).append(month)
        elif cut or any(month < edge < after for edge in shared):
            partial |= Q(day__gte=max(month, since), day__lt=min(after, until + timedelta(days=1)))
        else:
            by_cut.setdefault(frozenset(), []).append(month)
            for start, end in outside:
                if month <= start < after:
                    days = Q(day__gte=start, day__lte=end)
                    minus = days if minus is None else minus | days
        month = after
    if list(by_cut) in ([None], []):
        return None, everything, None
    monthly = Q(pk__in=[])
    daily = Q(day__gte=since, day__lt=first) | Q(day__gte=month_after(last), day__lte=until) | partial
    for cut, months in by_cut.items():
        in_days = Q(pk__in=[])
        for month in months:
            in_days |= Q(day__gte=month, day__lt=month_after(month))
        if cut is None:
            daily |= in_days
            continue
        monthly |= Q(month__in=months) & ~Q(model__in=sorted(cut)) if cut else Q(month__in=months)
        if cut:
            daily |= in_days & Q(model__in=sorted(cut))
    return monthly, daily, minus


def standard_rate(table: RateTable, model: str, day: date) -> Rate | None:
    """The model's standard-speed, tier-0 row in force on ``day``; None when it has no price then."""
    return table.lookup(model, day, STANDARD, 0) if model else None


def price(tokens: Tokens, rate: Rate, fees: Fees) -> Decimal:
    """Standard-rate USD of the tokens, web searches included. Exact Decimal, unrounded."""
    cost = (
        tokens.input * rate.input
        + tokens.cache_write_5m * rate.cache_write_5m
        + tokens.cache_write_1h * rate.cache_write_1h
        + tokens.cache_read * rate.cache_read
        + tokens.output * rate.output
    ) / MTOK
    return cost + tokens.web_search * fees.web_search_per_request


def uncached_price(tokens: Tokens, rate: Rate, fees: Fees) -> Decimal:
    """``price`` as if every cache read and cache write were billed as plain input."""
    return price(Tokens(input=tokens.all_input, output=tokens.output, web_search=tokens.web_search), rate, fees)


def caching_saved(tokens: Tokens, rate: Rate) -> Decimal:
    """uncached_price - price: reads save (input - read rate), writes cost (write rate - input) more.

    Negative when the extra paid for writes outweighs what the reads saved (little reuse).
    """
    return (
        tokens.cache_read * (rate.input - rate.cache_read)
        - tokens.cache_write_5m * (rate.cache_write_5m - rate.input)
        - tokens.cache_write_1h * (rate.cache_write_1h - rate.input)
    ) / MTOK


def add(total: Decimal | None, amount: Decimal | None) -> Decimal | None:
    """A running total where None means "nothing priced yet"."""
    if amount is None:
        return total
    return (total or ZERO) + amount
