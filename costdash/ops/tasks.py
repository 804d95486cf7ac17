"""The heartbeat task beat publishes (costdash.ops.heartbeats)."""
from costdash.celery import shared_task

from .heartbeats import WORKER, heartbeat_stamp


@shared_task(ignore_result=True, expires=120)
def ops_heartbeat() -> None:
    """A worker ran this: stamp the worker's heartbeat (beat stamped its own as it sent it). One older than two
    minutes is dropped unrun, so heartbeats queued while no worker ran do not pile up for the next one."""
    heartbeat_stamp(WORKER)
