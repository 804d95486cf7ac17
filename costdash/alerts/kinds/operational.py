"""Operational alerts: an import that failed, an Admin API connection whose last run failed, a model
seen without a price, a developer-day whose rollup cannot be computed, requests reported for someone other
than the developer they are stored for. Org-wide; no threshold."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Sum

from costdash.connectors.models import AdminApiConnection
from costdash.ingest.models import ImportBatch, RequestConflict
from costdash.lib.dates import day_bounds, reporting_day
from costdash.rollups.models import DailyCost, DirtyDay

from .base import COUNT, Finding, RuleKind, developer_names, link, month_label

ERROR_SHOWN = 300


def _first_line(text: str) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else "no reason recorded"
    return line if len(line) <= ERROR_SHOWN else f"{line[:ERROR_SHOWN]}…"


class _FailureKind(RuleKind):
    """Something that failed since the lookback window began: ``failures`` yields (subject, day, link,
    summary) for each; every rule of the kind reports each one."""

    unit = None
    figure_unit = None

    def failures(self, ctx, since):
        raise NotImplementedError

    def findings(self, rules, ctx):
        if ctx.pairs is not None:
            return
        since, _ = day_bounds(ctx.oldest, ctx.tz)
        for subject_key, day, path, summary in self.failures(ctx, since):
            for rule in rules:
                yield Finding(rule=rule, subject_key=subject_key, day=day, link=path, summary=summary)


class ImportFailed(_FailureKind):
    key = "import_failed"
    label = "Import failed"
    description = "An import (a file, an upload, an Admin API pull) ended in failure. Once per import."

    def failures(self, ctx, since):
        failed = ImportBatch.objects.filter(status=ImportBatch.Status.FAILED, created_at__gte=since).order_by("pk")
        for batch in failed.only("pk", "label", "source", "failure", "created_at", "finished_at"):
            day = reporting_day(batch.finished_at or batch.created_at, ctx.tz)
            what = f" ({batch.label[:80]})" if batch.label else ""
            yield (f"batch:{batch.pk}", day, link("ingest:batch", batch.pk),
                   f"Import #{batch.pk} of {batch.get_source_display()}{what} failed on {day:%Y-%m-%d}: "
                   f"{_first_line(batch.failure)}")


class ConnectorFailed(_FailureKind):
    key = "connector_failed"
    label = "Connector failing"
    description = "An enabled Admin API connection's last run did not succeed. At most once per connection and day."

    def failures(self, ctx, since):
        failing = AdminApiConnection.objects.filter(enabled=True, last_run_at__gte=since).exclude(last_error="")
        for connection in failing.order_by("pk"):
            ran = connection.last_run_at.astimezone(ctx.tz)
            yield (f"connector:{connection.pk}", ran.date(), link("connectors:list"),
                   f"Admin API connection {connection.name} failed on its run of {ran:%Y-%m-%d %H:%M}: "
                   f"{_first_line(connection.last_error)}")


class RollupFailed(_FailureKind):
    key = "rollup_failed"
    label = "Rollup failed"
    description = ("A developer-day whose rollup cannot be computed (the other days still are): its figures are "
                   "stale until it computes. At most once per developer-day and day while it keeps failing.")
    on_recompute = True  # the recompute that records a failure evaluates it at once

    def findings(self, rules, ctx):
        since, _ = day_bounds(ctx.oldest, ctx.tz)
        for subject_key, day, path, summary, developer_id in self.failures(ctx, since):
            for rule in rules:
                yield Finding(rule=rule, subject_key=subject_key, day=day, link=path, summary=summary,
                              developer_id=developer_id)

    def failures(self, ctx, since):
        failing = list(DirtyDay.objects.filter(failed_at__gte=since).order_by("developer_id", "day"))
        names = developer_names(row.developer_id for row in failing)
        for row in failing:
            failed = row.failed_at.astimezone(ctx.tz)
            retry = row.retry_at.astimezone(ctx.tz) if row.retry_at else failed
            yield (f"rollup:{row.developer_id}:{row.day.isoformat()}", failed.date(),
                   link("dashboard:developer", row.developer_id),
                   f"Rollup of {names.get(row.developer_id, row.developer_id)} for {row.day:%Y-%m-%d} failed "
                   f"({row.attempts} attempt{'s' if row.attempts != 1 else ''}, next at {retry:%Y-%m-%d %H:%M}): "
                   f"{_first_line(row.error)}. Their other days are computed; this one keeps its old figures.",
                   row.developer_id)


class RequestConflictKind(_FailureKind):
    key = "request_conflict"
    label = "Request conflict"
    description = ("Requests stored for one developer were sent again for another (a push token, an import or a "
                   "proxy naming the wrong person): the stored ones were kept. Once per pair of people and day.")

    def failures(self, ctx, since):
        seen = RequestConflict.objects.filter(created_at__gte=since).select_related("owner", "claimant")
        for row in seen.order_by("day", "pk"):
            owner, claimant = _person(row.owner, row.owner_key), _person(row.claimant, row.claimant_key)
            how = f"import #{row.batch_id}" if row.batch_id else (f"push token #{row.token_id}" if row.token_id else "")
            path = link("ingest:batch", row.batch_id) if row.batch_id else link("ingest:tokens")
            yield (f"conflict:{row.owner_key}:{row.claimant_key}", row.day, path,
                   f"{row.requests} request{'s' if row.requests != 1 else ''} stored for {owner} "
                   f"{'were' if row.requests != 1 else 'was'} sent for {claimant} on {row.day:%Y-%m-%d}"
                   f"{f' (by {how})' if how else ''}, e.g. {row.example_key}: kept as {owner}'s, unchanged.")


def _person(developer, key: str) -> str:
    if developer is not None:
        return f"{developer.name} ({developer.email})" if developer.name else developer.email
    return {"nobody": "nobody"}.get(key, f"unassigned {key.replace(':', ' #')}")


class UnpricedModel(RuleKind):
    key = "unpriced_model"
    label = "Model without a price"
    description = ("Requests to a model costdash has no price for: left out of every cost (never $0) until its "
                   "price is added. Once per model and month.")
    unit = None
    figure_unit = COUNT
    monthly = True
    on_recompute = True

    def findings(self, rules, ctx):
        rows = DailyCost.objects.filter(unpriced_requests__gt=0, day__gte=ctx.oldest, day__lte=ctx.today)
        if ctx.pairs is not None:  # the models the recompute saw unpriced, counted over all their days
            seen = rows.filter(developer_id__in={d for d, _ in ctx.pairs}, day__in={day for _, day in ctx.pairs})
            models = {m for d, day, m in seen.values_list("developer_id", "day", "model") if (d, day) in ctx.pairs}
            rows = rows.filter(model__in=models)
        months: dict[tuple[str, date], list] = defaultdict(lambda: [0, None])
        for model, day, requests in rows.values_list("model", "day").annotate(n=Sum("unpriced_requests")).order_by():
            entry = months[(model, day.replace(day=1))]
            entry[0] += requests
            entry[1] = min(entry[1] or day, day)
        for (model, month), (requests, first) in sorted(months.items()):
            for rule in rules:
                yield Finding(
                    rule=rule, subject_key=f"model:{model}", day=month, figure=requests,
                    link=link("dashboard:models", model=model, since=first, until=ctx.today),
                    summary=f"{model} has {requests} request{'s' if requests != 1 else ''} without a price in "
                            f"{month_label(month)} (first on {first:%Y-%m-%d}): they are left out of every cost, "
                            "not counted as $0. Add its price under Admin → Model prices.",
                )
