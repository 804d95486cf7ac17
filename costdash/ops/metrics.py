"""Prometheus metrics for /metrics (prometheus-client).

Two kinds:
- Counted by the web processes (the request middleware, costdash.ops.middleware): request latency by URL name, and
  ingest bodies refused (401, 413, 429...) per token kind. Under gunicorn each worker is its own process: with
  PROMETHEUS_MULTIPROC_DIR set (an empty folder at start, one per host, shared by the workers) prometheus-client
  keeps them in files there and a scrape of any worker adds up all of them; unset, this process's own registry.
- Read from the database at each scrape (DatabaseCollector), where the truth already is, so every process answers
  the same and nothing is lost to a restart: bodies and records accepted and rejected per token kind (the
  IngestToken counts the receivers keep), imports by source and status and their records, import and rollup lag,
  alert deliveries by outcome, heartbeat ages, and the broker's queue depth.
"""
from __future__ import annotations

import logging
import os

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

log = logging.getLogger(__name__)

# The ingest receivers' URL names and the token kind each takes.
INGEST_VIEWS = {"otlp_logs": "otlp", "otlp_metrics": "otlp", "litellm_callback": "litellm",
                "transcripts_push": "transcripts", "files_import": "files"}
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # prometheus-client writes there as each metric is made
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
PROCESS_REGISTRY = CollectorRegistry(auto_describe=True)
REQUEST_SECONDS = Histogram(
    "costdash_http_request_duration_seconds", "Time to answer a request, by URL name, method and status class",
    ["view", "method", "status"], buckets=LATENCY_BUCKETS, registry=PROCESS_REGISTRY,
)
BODIES_REFUSED = Counter(
    "costdash_ingest_bodies_refused", "Ingest bodies refused (bad or missing token, too large, malformed, over "
    "the rate), by token kind and HTTP status", ["kind", "status"], registry=PROCESS_REGISTRY,
)


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def metrics_text() -> bytes:
    """The exposition text: the web processes' metrics (all workers' when PROMETHEUS_MULTIPROC_DIR is set), then
    the database's."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = PROCESS_REGISTRY
    database = CollectorRegistry()
    database.register(DatabaseCollector())
    return generate_latest(processes) + generate_latest(database)


def _since(moment, now) -> float:
    return max((now - moment).total_seconds(), 0.0) if moment else 0.0


class DatabaseCollector:
    """Families read at scrape time; a family whose query fails is left out (logged), the others still answer,
    and costdash_metrics_source_up says which source failed."""

    def collect(self):
        up = GaugeMetricFamily("costdash_metrics_source_up", "1 when this scrape could read the source",
                               labels=["source"])
        families = []
        try:
            families += list(self._database())
            up.add_metric(["database"], 1)
        except Exception:
            log.warning("metrics: the database could not be read", exc_info=True)
            up.add_metric(["database"], 0)
        families += list(self._broker(up))
        yield from families
        yield up

    def _database(self):
        now = timezone.now()
        yield from _ingest_tokens()
        yield from _imports(now)
        yield from _rollups(now)
        yield from _received(now)
        yield from _alert_deliveries()
        yield from _heartbeats(now)

    def _broker(self, up):
        from .broker import broker_state, queue_name

        state = broker_state()
        up.add_metric(["broker"], 1 if state.reachable else 0)
        if state.queue_depth is not None:
            depth = GaugeMetricFamily("costdash_celery_queue_depth", "Tasks waiting in the Celery queue",
                                      labels=["queue"])
            depth.add_metric([queue_name()], state.queue_depth)
            yield depth


def _ingest_tokens():
    from costdash.ingest.models import IngestToken

    rows = IngestToken.objects.values("kind").annotate(
        bodies=Sum("requests"), new=Sum("events_new"), rejected=Sum("rejected")).order_by("kind")
    bodies = CounterMetricFamily("costdash_ingest_bodies_accepted", "Ingest bodies accepted and stored, by token "
                                 "kind (the ingest tokens' counts)", labels=["kind"])
    new = CounterMetricFamily("costdash_ingest_records_new", "Records received live that were new usage events, "
                              "by token kind", labels=["kind"])
    rejected = CounterMetricFamily("costdash_ingest_records_rejected", "Records received live and rejected, by "
                                   "token kind", labels=["kind"])
    for row in rows:
        bodies.add_metric([row["kind"]], row["bodies"] or 0)
        new.add_metric([row["kind"]], row["new"] or 0)
        rejected.add_metric([row["kind"]], row["rejected"] or 0)
    return bodies, new, rejected


def _imports(now):
    from costdash.ingest.models import ImportBatch

    batches = GaugeMetricFamily("costdash_import_batches", "Imports (uploads, CLI runs, pulls, file API), by source "
                                "and status", labels=["source", "status"])
    records = CounterMetricFamily("costdash_import_records", "Records read by imports, by source and outcome",
                                  labels=["source", "outcome"])
    rows = ImportBatch.objects.values("source", "status").annotate(
        n=Count("pk"), new=Sum("requests_new") + Sum("records_new"), updated=Sum("requests_updated")
        + Sum("records_updated"), duplicate=Sum("duplicates"), rejected=Sum("rejected")).order_by("source", "status")
    totals: dict[tuple[str, str], int] = {}
    for row in rows:
        batches.add_metric([row["source"], row["status"]], row["n"])
        for outcome in ("new", "updated", "duplicate", "rejected"):
            key = (row["source"], outcome)
            totals[key] = totals.get(key, 0) + (row[outcome] or 0)
    for (source, outcome), value in sorted(totals.items()):
        records.add_metric([source, outcome], value)
    oldest = ImportBatch.objects.filter(status__in=[ImportBatch.Status.PENDING, ImportBatch.Status.RUNNING]).aggregate(
        oldest=Min("created_at"))["oldest"]
    lag = GaugeMetricFamily("costdash_import_lag_seconds", "Age of the oldest pending or running import (0: none)")
    lag.add_metric([], _since(oldest, now))
    return batches, records, lag


def _rollups(now):
    from costdash.rollups.models import DirtyDay

    found = DirtyDay.objects.aggregate(oldest=Min("marked_at"), days=Count("pk"), failing=Count("pk", filter=Q(
        attempts__gt=0)))
    lag = GaugeMetricFamily("costdash_rollup_lag_seconds", "Age of the oldest developer-day waiting for its "
                            "rollup recompute (0: none)")
    lag.add_metric([], _since(found["oldest"], now))
    dirty = GaugeMetricFamily("costdash_rollup_dirty_days", "Developer-days waiting for their rollup recompute")
    dirty.add_metric([], found["days"])
    failing = GaugeMetricFamily("costdash_rollup_failing_days", "Developer-days whose last recompute failed")
    failing.add_metric([], found["failing"])
    return lag, dirty, failing


def _received(now):
    from costdash.ingest.models import ReceivedBody

    states = [ReceivedBody.State.PENDING, ReceivedBody.State.CLAIMED]
    bodies = GaugeMetricFamily("costdash_received_bodies_waiting", "Live bodies stored and not yet made into "
                               "events, by kind and state", labels=["kind", "state"])
    for row in ReceivedBody.objects.filter(state__in=states).values("kind", "state").annotate(
            n=Count("pk")).order_by("kind", "state"):
        bodies.add_metric([row["kind"], row["state"]], row["n"])
    oldest = ReceivedBody.objects.filter(state__in=states).aggregate(oldest=Min("received_at"))["oldest"]
    lag = GaugeMetricFamily("costdash_received_lag_seconds", "Age of the oldest live body waiting to be made into "
                            "events (0: none)")
    lag.add_metric([], _since(oldest, now))
    failed = GaugeMetricFamily("costdash_received_bodies_failed", "Live bodies kept as failed (unreadable, or "
                               "their worker stopped too often)")
    failed.add_metric([], ReceivedBody.objects.filter(state=ReceivedBody.State.FAILED).count())
    return bodies, lag, failed


def _alert_deliveries():
    from costdash.alerts.models import Channel, Notification

    # Grouped by channel id, kinds looked up apart: the join to channels doubled the cost (100,000 deliveries:
    # 82 ms joined, 47 ms not; benchmarks/ops_endpoints.py).
    kinds = dict(Channel.objects.values_list("pk", "kind"))
    counts: dict[tuple[str, str], int] = {}
    for row in Notification.objects.order_by().values("channel_id", "status").annotate(n=Count("pk")):
        key = (kinds.get(row["channel_id"], "deleted"), row["status"])
        counts[key] = counts.get(key, 0) + row["n"]
    rows = [{"channel__kind": kind, "status": status, "n": n} for (kind, status), n in sorted(counts.items())]
    done = CounterMetricFamily("costdash_alert_deliveries", "Alert and digest deliveries finished, by channel kind "
                               "and outcome (sent, failed, unknown: may have arrived)",
                               labels=["channel_kind", "outcome"])
    sending = GaugeMetricFamily("costdash_alert_deliveries_sending", "Deliveries being sent now, by channel kind",
                                labels=["channel_kind"])
    for row in rows:
        if row["status"] == Notification.Status.SENDING:
            sending.add_metric([row["channel__kind"]], row["n"])
        else:
            done.add_metric([row["channel__kind"], row["status"]], row["n"])
    return done, sending


def _heartbeats(now):
    from .heartbeats import BEAT, WORKER, heartbeat_ages

    ages = heartbeat_ages(now)
    family = GaugeMetricFamily("costdash_heartbeat_age_seconds", "Seconds since beat published, and a worker ran, "
                               "the heartbeat task (absent: never)", labels=["part"])
    for part in (BEAT, WORKER):
        if ages[part] is not None:
            family.add_metric([part], max(ages[part], 0.0))
    return (family,)
