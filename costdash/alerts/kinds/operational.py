"""Operational alerts: an import that failed, an Admin API connection whose last run failed, a model
seen without a price. Org-wide; no threshold."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Sum

from costdash.connectors.models import AdminApiConnection
from costdash.ingest.models import ImportBatch
from costdash.lib.dates import day_bounds, reporting_day
from costdash.rollups.models import DailyCost

from .base import COUNT, Finding, RuleKind, link, month_label

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
